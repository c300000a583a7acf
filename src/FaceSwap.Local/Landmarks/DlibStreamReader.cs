namespace FaceSwap.Local;

/// <summary>
/// Reads dlib's portable serialisation (dlib/serialize.h, float_details.h): integers as a control byte
/// (byte count, 0x80 when negative) followed by that many little-endian magnitude bytes; floats as a
/// (int64 mantissa, int16 exponent) pair of such integers, value = mantissa·2^exponent.
/// </summary>
internal sealed class DlibStreamReader(Stream stream)
{
    private readonly byte[] _buffer = new byte[1 << 20];
    private int _at, _end;
    private long _consumed;

    private byte NextByte()
    {
        if (_at == _end)
        {
            _consumed += _end;
            _end = stream.Read(_buffer, 0, _buffer.Length);
            _at = 0;
            if (_end == 0) throw new InvalidDataException($"dlib file ends early at byte {_consumed}");
        }
        return _buffer[_at++];
    }

    private byte PeekByte()
    {
        var b = NextByte();
        _at--;
        return b;
    }

    public long ReadInt()
    {
        var control = NextByte();
        var size = control & 0x0F;
        if (size > 8) throw new InvalidDataException($"dlib integer with {size} bytes at byte {_consumed + _at}");
        ulong magnitude = 0;
        for (var i = 0; i < size; i++) magnitude |= (ulong)NextByte() << (8 * i);
        return (control & 0x80) != 0 ? -(long)magnitude : (long)magnitude;
    }

    public float ReadFloat()
    {
        // dlib's pre-2013 text format starts with an ASCII digit or sign; control bytes never have 0x70 set.
        if ((PeekByte() & 0x70) != 0)
            throw new InvalidDataException("dlib file uses the old text float format, which is not supported");
        var mantissa = ReadInt();
        var exponent = ReadInt();
        return exponent switch
        {
            32000 => float.PositiveInfinity,
            32001 => float.NegativeInfinity,
            32002 => float.NaN,
            _ => (float)Math.ScaleB(mantissa, (int)exponent),
        };
    }

    /// <summary>matrix&lt;float,0,1&gt;: negated row and column counts (the current format), then elements.</summary>
    public float[] ReadColumnVector()
    {
        long rows = ReadInt(), cols = ReadInt();
        if (rows < 0) { rows = -rows; cols = -cols; }
        var values = new float[checked(rows * cols)];
        for (var i = 0; i < values.Length; i++) values[i] = ReadFloat();
        return values;
    }

    public int ReadCount(string what)
    {
        var n = ReadInt();
        if (n is < 0 or > 100_000_000) throw new InvalidDataException($"dlib file has an implausible {what} count {n}");
        return (int)n;
    }
}
