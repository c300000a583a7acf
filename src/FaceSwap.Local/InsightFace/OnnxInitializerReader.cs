namespace FaceSwap.Local;

/// <summary>
/// Reads one initializer tensor out of an .onnx file by walking its protobuf fields and seeking past
/// everything else, so the inswapper's emap (1 MB) is found without loading 554 MB of weights.
/// Field numbers from onnx.proto: ModelProto.graph = 7, GraphProto.initializer = 5,
/// TensorProto dims = 1, data_type = 2, float_data = 4, int32_data = 5, name = 8, raw_data = 9.
/// </summary>
public static class OnnxInitializerReader
{
    public sealed record Tensor(string Name, long[] Dims, float[] Values);

    private const int Float = 1, Float16 = 10;

    public static Tensor ReadLast(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var graph = FindField(file, file.Length, 7) ?? throw new InvalidDataException("ONNX file has no graph");
        (long Start, long Length)? last = null;
        file.Position = graph.Start;
        var end = graph.Start + graph.Length;
        while (file.Position < end)
        {
            var (field, wire) = ReadKey(file);
            if (field == 5 && wire == 2)
            {
                var length = (long)ReadVarint(file);
                last = (file.Position, length);
                file.Position += length;
            }
            else Skip(file, wire);
        }
        if (last is null) throw new InvalidDataException("ONNX graph has no initializers");
        file.Position = last.Value.Start;
        var bytes = new byte[last.Value.Length];
        file.ReadExactly(bytes);
        return ParseTensor(bytes);
    }

    private static (long Start, long Length)? FindField(Stream s, long end, int wanted)
    {
        while (s.Position < end)
        {
            var (field, wire) = ReadKey(s);
            if (field == wanted && wire == 2)
            {
                var length = (long)ReadVarint(s);
                return (s.Position, length);
            }
            Skip(s, wire);
        }
        return null;
    }

    private static Tensor ParseTensor(byte[] bytes)
    {
        using var s = new MemoryStream(bytes);
        var dims = new List<long>();
        var dataType = 0;
        var name = "";
        byte[]? raw = null;
        var floats = new List<float>();
        var ints = new List<int>();
        while (s.Position < s.Length)
        {
            var (field, wire) = ReadKey(s);
            switch (field, wire)
            {
                case (1, 0): dims.Add((long)ReadVarint(s)); break;
                case (1, 2): ReadPacked(s, () => dims.Add((long)ReadVarint(s))); break;
                case (2, 0): dataType = (int)ReadVarint(s); break;
                case (4, 2): ReadPacked(s, () => floats.Add(ReadFloat(s))); break;
                case (4, 5): floats.Add(ReadFloat(s)); break;
                case (5, 2): ReadPacked(s, () => ints.Add((int)ReadVarint(s))); break;
                case (5, 0): ints.Add((int)ReadVarint(s)); break;
                case (8, 2): name = System.Text.Encoding.UTF8.GetString(ReadBytes(s)); break;
                case (9, 2): raw = ReadBytes(s); break;
                default: Skip(s, wire); break;
            }
        }
        var count = dims.Aggregate(1L, (a, d) => a * d);
        float[] values = dataType switch
        {
            Float when raw is not null => Enumerable.Range(0, raw.Length / 4).Select(i => BitConverter.ToSingle(raw, 4 * i)).ToArray(),
            Float => floats.ToArray(),
            // fp16 tensors keep their bits either in raw_data or, one value per int32, in int32_data.
            Float16 when raw is not null => Enumerable.Range(0, raw.Length / 2).Select(i => (float)BitConverter.ToHalf(raw, 2 * i)).ToArray(),
            Float16 => ints.Select(v => (float)BitConverter.UInt16BitsToHalf((ushort)v)).ToArray(),
            _ => throw new InvalidDataException($"initializer {name} has data type {dataType}; expected float or float16"),
        };
        if (values.Length != count) throw new InvalidDataException($"initializer {name} holds {values.Length} values for shape [{string.Join(",", dims)}] (external data is not supported)");
        return new Tensor(name, dims.ToArray(), values);
    }

    private static (int Field, int Wire) ReadKey(Stream s)
    {
        var key = ReadVarint(s);
        return ((int)(key >> 3), (int)(key & 7));
    }

    private static ulong ReadVarint(Stream s)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = s.ReadByte();
            if (b < 0) throw new InvalidDataException("ONNX file ends inside a varint");
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw new InvalidDataException("malformed varint in ONNX file");
    }

    private static float ReadFloat(Stream s)
    {
        Span<byte> b = stackalloc byte[4];
        s.ReadExactly(b);
        return BitConverter.ToSingle(b);
    }

    private static byte[] ReadBytes(Stream s)
    {
        var bytes = new byte[(int)ReadVarint(s)];
        s.ReadExactly(bytes);
        return bytes;
    }

    private static void ReadPacked(Stream s, Action readOne)
    {
        var end = s.Position + (long)ReadVarint(s);
        while (s.Position < end) readOne();
    }

    private static void Skip(Stream s, int wire)
    {
        switch (wire)
        {
            case 0: ReadVarint(s); break;
            case 1: s.Position += 8; break;
            case 2: var n = (long)ReadVarint(s); s.Position += n; break;
            case 5: s.Position += 4; break;
            default: throw new InvalidDataException($"unsupported protobuf wire type {wire} in ONNX file");
        }
    }
}
