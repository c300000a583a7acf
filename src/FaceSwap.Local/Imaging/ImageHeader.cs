using System.Buffers.Binary;

namespace FaceSwap.Local;

public enum ImageFormat { Png, Jpeg, Gif, Bmp, WebP }

/// <summary>
/// The format and size an image file declares in its header, read without decoding pixels, so that a
/// small file that would expand to gigabytes (a decompression bomb) is refused before any allocation.
/// </summary>
public sealed record ImageHeader(ImageFormat Format, int Width, int Height, int FrameCount = 1)
{
    public long Pixels => (long)Width * Height;

    public string ContentType => Format switch
    {
        ImageFormat.Png => "image/png",
        ImageFormat.Jpeg => "image/jpeg",
        ImageFormat.Gif => "image/gif",
        ImageFormat.Bmp => "image/bmp",
        _ => "image/webp",
    };

    /// <summary>Returns null when the bytes are not a complete header of a format we decode.</summary>
    public static ImageHeader? TryRead(ReadOnlySpan<byte> data)
    {
        try
        {
            if (data.Length >= 24 && data[..8].SequenceEqual(PngSignature) && data.Slice(12, 4).SequenceEqual("IHDR"u8))
                return Sized(ImageFormat.Png, BinaryPrimitives.ReadInt32BigEndian(data[16..]), BinaryPrimitives.ReadInt32BigEndian(data[20..]));
            if (data.Length >= 4 && data[0] == 0xFF && data[1] == 0xD8)
                return ReadJpeg(data);
            if (data.Length >= 13 && (data[..6].SequenceEqual("GIF87a"u8) || data[..6].SequenceEqual("GIF89a"u8)))
                return ReadGif(data);
            if (data.Length >= 26 && data[0] == (byte)'B' && data[1] == (byte)'M')
                return Sized(ImageFormat.Bmp, BinaryPrimitives.ReadInt32LittleEndian(data[18..]), Math.Abs(BinaryPrimitives.ReadInt32LittleEndian(data[22..])));
            if (data.Length >= 30 && data[..4].SequenceEqual("RIFF"u8) && data.Slice(8, 4).SequenceEqual("WEBP"u8))
                return ReadWebP(data);
        }
        catch (ArgumentOutOfRangeException)
        {
            // A header cut short: treated like any other unreadable file.
        }
        return null;
    }

    internal static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static ImageHeader? Sized(ImageFormat format, int width, int height, int frames = 1) =>
        width > 0 && height > 0 ? new ImageHeader(format, width, height, frames) : null;

    private static ImageHeader? ReadJpeg(ReadOnlySpan<byte> data)
    {
        var at = 2;
        while (at + 4 <= data.Length)
        {
            if (data[at] != 0xFF) return null;
            var marker = data[at + 1];
            if (marker == 0xFF) { at++; continue; } // fill byte
            if (marker is 0xD8 or 0x01 || marker is >= 0xD0 and <= 0xD7) { at += 2; continue; }
            var length = BinaryPrimitives.ReadUInt16BigEndian(data[(at + 2)..]);
            // SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
                return Sized(ImageFormat.Jpeg, BinaryPrimitives.ReadUInt16BigEndian(data[(at + 7)..]), BinaryPrimitives.ReadUInt16BigEndian(data[(at + 5)..]));
            if (marker == 0xDA) return null; // scan data before any frame header
            at += 2 + length;
        }
        return null;
    }

    private static ImageHeader? ReadWebP(ReadOnlySpan<byte> data)
    {
        var chunk = data.Slice(12, 4);
        if (chunk.SequenceEqual("VP8X"u8))
            return Sized(ImageFormat.WebP, 1 + (data[24] | data[25] << 8 | data[26] << 16), 1 + (data[27] | data[28] << 8 | data[29] << 16));
        if (chunk.SequenceEqual("VP8L"u8))
        {
            var bits = BinaryPrimitives.ReadUInt32LittleEndian(data[21..]);
            return Sized(ImageFormat.WebP, (int)(bits & 0x3FFF) + 1, (int)((bits >> 14) & 0x3FFF) + 1);
        }
        if (chunk.SequenceEqual("VP8 "u8))
            return Sized(ImageFormat.WebP, BinaryPrimitives.ReadUInt16LittleEndian(data[26..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(data[28..]) & 0x3FFF);
        return null;
    }

    /// <summary>Walks the GIF block structure to count frames without decompressing any of them.</summary>
    private static ImageHeader? ReadGif(ReadOnlySpan<byte> data)
    {
        int width = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]), height = BinaryPrimitives.ReadUInt16LittleEndian(data[8..]);
        var at = 13;
        if ((data[10] & 0x80) != 0) at += 3 << ((data[10] & 7) + 1);
        var frames = 0;
        while (at < data.Length)
        {
            switch (data[at])
            {
                case 0x3B:
                    return Sized(ImageFormat.Gif, width, height, frames);
                case 0x21:
                    at = SkipSubBlocks(data, at + 2);
                    break;
                case 0x2C:
                    frames++;
                    var packed = data[at + 9];
                    at += 10;
                    if ((packed & 0x80) != 0) at += 3 << ((packed & 7) + 1);
                    at = SkipSubBlocks(data, at + 1); // after the LZW minimum code size
                    break;
                default:
                    return frames > 0 ? Sized(ImageFormat.Gif, width, height, frames) : null;
            }
        }
        // No trailer: decoders still show the frames that are complete.
        return frames > 0 ? Sized(ImageFormat.Gif, width, height, frames) : null;
    }

    private static int SkipSubBlocks(ReadOnlySpan<byte> data, int at)
    {
        while (at < data.Length && data[at] != 0) at += data[at] + 1;
        return at + 1;
    }
}
