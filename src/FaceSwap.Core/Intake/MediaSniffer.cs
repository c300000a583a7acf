namespace FaceSwap.Core.Intake;

public enum MediaKind { Image, Gif, Video }

public sealed record SniffedMedia(string ContentType, MediaKind Kind, string Extension);

/// <summary>
/// Tells what an upload is from its first bytes. The declared content type and file name are the client's
/// word; the magic numbers are the file's.
/// </summary>
public static class MediaSniffer
{
    public static SniffedMedia? Sniff(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])) return new("image/png", MediaKind.Image, "png");
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])) return new("image/jpeg", MediaKind.Image, "jpg");
        if (head.StartsWith("GIF87a"u8) || head.StartsWith("GIF89a"u8)) return new("image/gif", MediaKind.Gif, "gif");
        if (head.Length >= 12 && head.StartsWith("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8)) return new("image/webp", MediaKind.Image, "webp");
        if (head.Length >= 12 && head[4..8].SequenceEqual("ftyp"u8))
        {
            return head[8..12].SequenceEqual("qt  "u8)
                ? new("video/quicktime", MediaKind.Video, "mov")
                : new("video/mp4", MediaKind.Video, "mp4");
        }
        if (head.StartsWith((ReadOnlySpan<byte>)[0x1A, 0x45, 0xDF, 0xA3])) return new("video/webm", MediaKind.Video, "webm");
        return null;
    }
}
