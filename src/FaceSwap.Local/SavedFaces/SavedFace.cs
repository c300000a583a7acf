using System.Text;
using OpenCvSharp;

namespace FaceSwap.Local;

/// <summary>
/// What a swap needs of a face, kept so a saved id works without its upload: the face aligned to a
/// fixed 256² frame (PNG), its landmarks in that frame (68 when dlib is present, always the five
/// alignment points) and its ArcFace embedding when the InsightFace tier made one.
/// </summary>
public sealed record SavedFace(string Name, byte[] AlignedFacePng, Point2f[] FivePoints, Point2f[]? Landmarks68, float[]? Embedding)
{
    public const int AlignedSize = 256;
    private static readonly byte[] Magic = "FSID"u8.ToArray();
    private const byte Version = 1;

    public SavedFace WithName(string name) => this with { Name = name };

    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write(Name);
            w.Write(AlignedFacePng.Length);
            w.Write(AlignedFacePng);
            WritePoints(w, FivePoints);
            WritePoints(w, Landmarks68);
            w.Write(Embedding?.Length ?? -1);
            foreach (var v in Embedding ?? []) w.Write(v);
        }
        return stream.ToArray();
    }

    public static SavedFace FromBytes(byte[] bytes)
    {
        using var r = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
        if (!r.ReadBytes(4).AsSpan().SequenceEqual(Magic)) throw new InvalidDataException("not a saved face record");
        var version = r.ReadByte();
        if (version != Version) throw new InvalidDataException($"saved face record version {version} is not supported");
        var name = r.ReadString();
        var png = r.ReadBytes(r.ReadInt32());
        var five = ReadPoints(r) ?? throw new InvalidDataException("saved face without five points");
        var l68 = ReadPoints(r);
        var n = r.ReadInt32();
        float[]? embedding = n < 0 ? null : Enumerable.Range(0, n).Select(_ => r.ReadSingle()).ToArray();
        return new SavedFace(name, png, five, l68, embedding);
    }

    private static void WritePoints(BinaryWriter w, Point2f[]? points)
    {
        w.Write(points?.Length ?? -1);
        foreach (var p in points ?? []) { w.Write(p.X); w.Write(p.Y); }
    }

    private static Point2f[]? ReadPoints(BinaryReader r)
    {
        var n = r.ReadInt32();
        return n < 0 ? null : Enumerable.Range(0, n).Select(_ => new Point2f(r.ReadSingle(), r.ReadSingle())).ToArray();
    }
}
