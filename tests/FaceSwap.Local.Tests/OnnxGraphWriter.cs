using System.Text;

namespace FaceSwap.Local.Tests;

/// <summary>
/// A minimal protobuf writer for ONNX test doubles: graphs with the real models' input/output names and
/// shapes but a few trivial nodes. Field numbers from onnx.proto (ModelProto, GraphProto, NodeProto,
/// TensorProto, ValueInfoProto, TypeProto, TensorShapeProto).
/// </summary>
internal sealed class Proto
{
    private readonly MemoryStream _s = new();

    public byte[] ToArray() => _s.ToArray();

    private void Varint(ulong v)
    {
        while (v >= 0x80) { _s.WriteByte((byte)(v | 0x80)); v >>= 7; }
        _s.WriteByte((byte)v);
    }

    public Proto Int(int field, long value) { Varint((ulong)(field << 3)); Varint((ulong)value); return this; }
    public Proto Bytes(int field, byte[] value) { Varint((ulong)(field << 3 | 2)); Varint((ulong)value.Length); _s.Write(value); return this; }
    public Proto Str(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));
    public Proto Msg(int field, Proto value) => Bytes(field, value.ToArray());
}

internal sealed class OnnxGraph
{
    private readonly Proto _graph = new Proto().Str(2, "test_double");
    private int _nodes;

    public const int Float = 1, Float16 = 10;

    /// <summary>A dimension is a number, or a string for a symbolic (dynamic) one.</summary>
    private static Proto ValueInfo(string name, object[] dims)
    {
        var shape = new Proto();
        foreach (var d in dims)
            shape.Msg(1, d is string p ? new Proto().Str(2, p) : new Proto().Int(1, Convert.ToInt64(d)));
        var tensorType = new Proto().Int(1, Float).Msg(2, shape);
        return new Proto().Str(1, name).Msg(2, new Proto().Msg(1, tensorType));
    }

    public OnnxGraph Input(string name, params object[] dims) { _graph.Msg(11, ValueInfo(name, dims)); return this; }
    public OnnxGraph Output(string name, params object[] dims) { _graph.Msg(12, ValueInfo(name, dims)); return this; }

    public OnnxGraph Initializer(string name, long[] dims, float[] values, bool fp16 = false)
    {
        var t = new Proto();
        foreach (var d in dims) t.Int(1, d);
        t.Int(2, fp16 ? Float16 : Float).Str(8, name);
        var raw = fp16
            ? values.SelectMany(v => BitConverter.GetBytes((Half)v)).ToArray()
            : values.SelectMany(BitConverter.GetBytes).ToArray();
        t.Bytes(9, raw);
        _graph.Msg(5, t);
        return this;
    }

    public OnnxGraph Node(string op, string[] inputs, string[] outputs, params (string Name, long Value)[] intAttributes)
    {
        var n = new Proto();
        foreach (var i in inputs) n.Str(1, i);
        foreach (var o in outputs) n.Str(2, o);
        n.Str(3, $"n{_nodes++}").Str(4, op);
        foreach (var (name, value) in intAttributes) n.Msg(5, new Proto().Str(1, name).Int(20, 2).Int(3, value));
        _graph.Msg(1, n);
        return this;
    }

    public byte[] ToModel() => new Proto().Int(1, 8).Str(2, "faceswap-tests").Msg(8, new Proto().Str(1, "").Int(2, 13)).Msg(7, _graph).ToArray();

    public string Save(string path)
    {
        File.WriteAllBytes(path, ToModel());
        return path;
    }
}
