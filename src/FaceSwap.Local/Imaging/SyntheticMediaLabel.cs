using System.Buffers.Binary;
using System.Text;

namespace FaceSwap.Local;

/// <summary>
/// Marks an encoded image as made by a trained algorithm (IPTC digital source type
/// <c>trainedAlgorithmicMedia</c>) in XMP, by inserting one chunk or segment into the encoded bytes:
/// PNG iTXt <c>XML:com.adobe.xmp</c>, JPEG APP1, GIF application extension <c>XMP DataXMP</c>.
/// Encoders do not write XMP themselves, and re-encoding would change pixels, so the label is spliced in.
/// </summary>
public static class SyntheticMediaLabel
{
    public const string DigitalSourceType = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";

    public static readonly string Xmp =
        "<?xpacket begin=\"\uFEFF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>" +
        "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">" +
        "<rdf:Description rdf:about=\"\" xmlns:Iptc4xmpExt=\"http://iptc.org/std/Iptc4xmpExt/2008-02-29/\" " +
        $"Iptc4xmpExt:DigitalSourceType=\"{DigitalSourceType}\"/>" +
        "</rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>";

    private static readonly byte[] XmpBytes = Encoding.UTF8.GetBytes(Xmp);
    private static readonly byte[] JpegXmpNamespace = "http://ns.adobe.com/xap/1.0/\0"u8.ToArray();

    /// <summary>True when the bytes carry the label (in any of the places this class writes it).</summary>
    public static bool IsPresent(ReadOnlySpan<byte> encoded) =>
        encoded.IndexOf(Encoding.ASCII.GetBytes(DigitalSourceType)) >= 0;

    public static byte[] Apply(byte[] encoded)
    {
        if (encoded.AsSpan().StartsWith(ImageHeader.PngSignature)) return IntoPng(encoded);
        if (encoded.Length > 2 && encoded[0] == 0xFF && encoded[1] == 0xD8) return IntoJpeg(encoded);
        if (encoded.AsSpan().StartsWith("GIF8"u8)) return IntoGif(encoded);
        throw new ArgumentException("Only PNG, JPEG and GIF output can be labelled", nameof(encoded));
    }

    /// <summary>An iTXt chunk right after IHDR (metadata before image data, as readers expect).</summary>
    private static byte[] IntoPng(byte[] png)
    {
        var keyword = "XML:com.adobe.xmp"u8;
        // keyword, NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL, text
        var data = new byte[keyword.Length + 5 + XmpBytes.Length];
        keyword.CopyTo(data);
        XmpBytes.CopyTo(data, keyword.Length + 5);
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        "iTXt"u8.CopyTo(chunk.AsSpan(4));
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32.Compute(chunk.AsSpan(4, 4 + data.Length)));

        var ihdrEnd = 8 + 12 + BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(8));
        return [.. png.AsSpan(0, ihdrEnd), .. chunk, .. png.AsSpan(ihdrEnd)];
    }

    /// <summary>An APP1 segment after SOI and any APP0 (JFIF wants to stay first).</summary>
    private static byte[] IntoJpeg(byte[] jpeg)
    {
        var at = 2;
        if (jpeg.Length > 4 && jpeg[2] == 0xFF && jpeg[3] == 0xE0)
            at += 2 + BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(4));
        var length = 2 + JpegXmpNamespace.Length + XmpBytes.Length;
        var segment = new byte[2 + length];
        segment[0] = 0xFF;
        segment[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)length);
        JpegXmpNamespace.CopyTo(segment, 4);
        XmpBytes.CopyTo(segment, 4 + JpegXmpNamespace.Length);
        return [.. jpeg.AsSpan(0, at), .. segment, .. jpeg.AsSpan(at)];
    }

    /// <summary>
    /// XMP's GIF embedding: an application extension whose raw XMP is followed by a 258-byte "magic
    /// trailer" that makes GIF readers see the XMP as valid sub-blocks; inserted before the trailer byte.
    /// </summary>
    private static byte[] IntoGif(byte[] gif)
    {
        var trailerAt = gif.Length - 1;
        if (gif[trailerAt] != 0x3B) throw new ArgumentException("GIF without trailer", nameof(gif));
        var ext = new List<byte>(14 + XmpBytes.Length + 258) { 0x21, 0xFF, 0x0B };
        ext.AddRange("XMP DataXMP"u8.ToArray());
        ext.AddRange(XmpBytes);
        ext.Add(0x01);
        for (var b = 0xFF; b >= 0x00; b--) ext.Add((byte)b);
        ext.Add(0x00);
        return [.. gif.AsSpan(0, trailerAt), .. ext, 0x3B];
    }
}

/// <summary>CRC-32 (ISO-HDLC, the PNG one).</summary>
internal static class Crc32
{
    private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var c = 0xFFFFFFFFu;
        foreach (var b in data) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}
