using System.Buffers.Binary;
using System.Text;

namespace FaceSwap.Sandbox.Discord;

/// <summary>
/// Reads a file's type and pixel size from its first bytes, as Discord does for an attachment's content_type,
/// width and height. The bot also uses it to tell an animated target (GIF, video) from a still one.
/// </summary>
public static class MediaSniffer
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    private static ReadOnlySpan<byte> JpegSignature => [0xFF, 0xD8, 0xFF];
    private static ReadOnlySpan<byte> WebmSignature => [0x1A, 0x45, 0xDF, 0xA3];

    public static (string ContentType, int? Width, int? Height) Describe(byte[] bytes, string filename)
    {
        ReadOnlySpan<byte> span = bytes;
        if (span.StartsWith(PngSignature) && span.Length >= 24)
            return ("image/png", BinaryPrimitives.ReadInt32BigEndian(span[16..]), BinaryPrimitives.ReadInt32BigEndian(span[20..]));
        if ((span.StartsWith("GIF87a"u8) || span.StartsWith("GIF89a"u8)) && span.Length >= 10)
            return ("image/gif", BinaryPrimitives.ReadUInt16LittleEndian(span[6..]), BinaryPrimitives.ReadUInt16LittleEndian(span[8..]));
        if (span.StartsWith(JpegSignature))
        {
            var (w, h) = JpegSize(span);
            return ("image/jpeg", w, h);
        }
        if (span.Length >= 12 && span.StartsWith("RIFF"u8) && span[8..12].SequenceEqual("WEBP"u8))
        {
            var (w, h) = WebpSize(span);
            return ("image/webp", w, h);
        }
        if (span.StartsWith("BM"u8) && span.Length >= 26)
            return ("image/bmp", Math.Abs(BinaryPrimitives.ReadInt32LittleEndian(span[18..])), Math.Abs(BinaryPrimitives.ReadInt32LittleEndian(span[22..])));
        if (span.Length >= 12 && span[4..8].SequenceEqual("ftyp"u8))
            return (span[8..12].SequenceEqual("qt  "u8) ? "video/quicktime" : "video/mp4", null, null);
        if (span.StartsWith(WebmSignature))
            return ("video/webm", null, null);
        return (filename.EndsWith(".txt", StringComparison.OrdinalIgnoreCase) ? "text/plain; charset=utf-8" : "application/octet-stream", null, null);
    }

    /// <summary>
    /// Whether a still image may be decoded: its header names its size and the size is at most
    /// <paramref name="maxPixels"/>. Read from the header alone, so a decompression bomb (a 30000² PNG of a few
    /// hundred kilobytes) is refused before any pixel is allocated. An image whose size cannot be read is refused too.
    /// </summary>
    public static bool FitsPixelLimit(byte[] bytes, long maxPixels) => PixelCount(bytes) is > 0 and var pixels && pixels <= maxPixels;

    /// <summary>Whether the header says this is a still image larger than <paramref name="maxPixels"/>.</summary>
    public static bool IsOverPixelLimit(byte[] bytes, long maxPixels) => PixelCount(bytes) > maxPixels;

    /// <summary>Width × height from an image's header: 0 when the header gives no size, null when it is not an image.</summary>
    private static long? PixelCount(byte[] bytes)
    {
        var (type, width, height) = Describe(bytes, "");
        if (!type.StartsWith("image/", StringComparison.Ordinal)) return null;
        return width is > 0 && height is > 0 ? (long)width.Value * height.Value : 0;
    }

    public static bool IsAnimated(string contentType) => contentType is "image/gif" || contentType.StartsWith("video/", StringComparison.Ordinal);

    public static bool IsVideo(string contentType) => contentType.StartsWith("video/", StringComparison.Ordinal);

    /// <summary>WebP's three layouts: lossy (VP8 frame header), lossless (VP8L bit-packed), extended (VP8X canvas).</summary>
    private static (int?, int?) WebpSize(ReadOnlySpan<byte> span)
    {
        if (span.Length >= 30 && span[12..16].SequenceEqual("VP8 "u8))
            return (BinaryPrimitives.ReadUInt16LittleEndian(span[26..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(span[28..]) & 0x3FFF);
        if (span.Length >= 25 && span[12..16].SequenceEqual("VP8L"u8))
        {
            uint bits = BinaryPrimitives.ReadUInt32LittleEndian(span[21..]);
            return ((int)(bits & 0x3FFF) + 1, (int)((bits >> 14) & 0x3FFF) + 1);
        }
        if (span.Length >= 30 && span[12..16].SequenceEqual("VP8X"u8))
            return ((span[24] | span[25] << 8 | span[26] << 16) + 1, (span[27] | span[28] << 8 | span[29] << 16) + 1);
        return (null, null);
    }

    private static (int?, int?) JpegSize(ReadOnlySpan<byte> span)
    {
        int i = 2;
        while (i + 9 < span.Length)
        {
            if (span[i] != 0xFF) { i++; continue; }
            byte marker = span[i + 1];
            // Start-of-frame markers carry the size; C4 (DHT), C8 and CC are not frames.
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
                return (BinaryPrimitives.ReadUInt16BigEndian(span[(i + 7)..]), BinaryPrimitives.ReadUInt16BigEndian(span[(i + 5)..]));
            if (marker is 0xD8 or 0x01 or (>= 0xD0 and <= 0xD7)) { i += 2; continue; }
            i += 2 + BinaryPrimitives.ReadUInt16BigEndian(span[(i + 2)..]);
        }
        return (null, null);
    }
}
