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
            return ("image/webp", null, null);
        if (span.Length >= 12 && span[4..8].SequenceEqual("ftyp"u8))
            return (span[8..12].SequenceEqual("qt  "u8) ? "video/quicktime" : "video/mp4", null, null);
        if (span.StartsWith(WebmSignature))
            return ("video/webm", null, null);
        return (filename.EndsWith(".txt", StringComparison.OrdinalIgnoreCase) ? "text/plain; charset=utf-8" : "application/octet-stream", null, null);
    }

    public static bool IsAnimated(string contentType) => contentType is "image/gif" || contentType.StartsWith("video/", StringComparison.Ordinal);

    public static bool IsVideo(string contentType) => contentType.StartsWith("video/", StringComparison.Ordinal);

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
