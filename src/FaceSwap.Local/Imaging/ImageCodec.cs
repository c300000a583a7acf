using OpenCvSharp;

namespace FaceSwap.Local;

/// <summary>An encoded, labelled result image.</summary>
public sealed record EncodedImage(byte[] Content, string ContentType, int Width, int Height)
{
    public string Extension => ContentType switch { "image/jpeg" => "jpg", "image/gif" => "gif", _ => "png" };
}

/// <summary>
/// Turns uploaded bytes into pixels and pixels into labelled bytes. Every decode checks the header's
/// declared size against the pixel limit first; every encode applies <see cref="SyntheticMediaLabel"/>.
/// </summary>
public sealed class ImageCodec(long maxPixels, int maxGifFrames = 75)
{
    public long MaxPixels { get; } = maxPixels;

    /// <summary>
    /// Whether this OpenCV build reads and writes GIF (the official 4.13 runtime does; OpenCV before
    /// 4.11, or a build without WITH_IMGCODEC_GIF, does not). Probed once by a round trip.
    /// </summary>
    public static bool GifSupported => GifProbe.Value;

    private static readonly Lazy<bool> GifProbe = new(() =>
    {
        try
        {
            using var pixel = new Mat(2, 2, MatType.CV_8UC3, Scalar.All(128));
            if (!Cv2.ImEncode(".gif", pixel, out var bytes)) return false;
            using var back = Cv2.ImDecode(bytes, ImreadModes.Color);
            return !back.Empty();
        }
        catch (OpenCVException)
        {
            return false;
        }
    });
    public int MaxGifFrames { get; } = maxGifFrames;

    public ImageHeader ReadHeader(byte[] data, string what)
    {
        var header = ImageHeader.TryRead(data) ?? throw new FaceSwapException(FaceSwapError.UnreadableImage,
            $"The {what} is not a readable image",
            $"The {what} ({data.Length} bytes) is not a PNG, JPEG, GIF, BMP or WebP image, or its header is damaged.");
        var pixels = header.Pixels * Math.Max(1, header.FrameCount);
        if (header.Pixels > MaxPixels || pixels > MaxPixels * Math.Max(1, MaxGifFrames))
            throw new FaceSwapException(FaceSwapError.ImageTooLarge, $"The {what} is too large",
                $"The {what} declares {header.Width}×{header.Height} pixels; the limit is {MaxPixels:N0} pixels. Resize it and try again.");
        return header;
    }

    private static void RequireGif()
    {
        if (!GifSupported)
            throw new FaceSwapException(FaceSwapError.UnsupportedFormat, "GIF is not supported by this server",
                "The OpenCV build on this server cannot read or write GIF; send a PNG or JPEG image instead.");
    }

    /// <summary>Decodes a still image (the first frame of a GIF) to 8-bit BGR.</summary>
    public Mat Decode(byte[] data, string what)
    {
        if (ReadHeader(data, what).Format == ImageFormat.Gif) RequireGif();
        var mat = Cv2.ImDecode(data, ImreadModes.Color);
        if (mat.Empty())
        {
            mat.Dispose();
            throw new FaceSwapException(FaceSwapError.UnreadableImage, $"The {what} is not a readable image",
                $"The {what} has a valid header but its pixel data could not be decoded (truncated or damaged file).");
        }
        return mat;
    }

    /// <summary>All frames of a GIF, as 8-bit BGR (OpenCV's GIF reader works on files only).</summary>
    public Mat[] DecodeGifFrames(byte[] data, string what)
    {
        var header = ReadHeader(data, what);
        if (header.Format != ImageFormat.Gif) return [Decode(data, what)];
        RequireGif();
        if (header.FrameCount > MaxGifFrames)
            throw new FaceSwapException(FaceSwapError.ImageTooLarge, $"The {what} has too many frames",
                $"The GIF has {header.FrameCount} frames; at most {MaxGifFrames} are supported.");
        var path = Path.Combine(Path.GetTempPath(), $"faceswap-{Guid.NewGuid():N}.gif");
        try
        {
            File.WriteAllBytes(path, data);
            if (!Cv2.ImReadMulti(path, out var frames, ImreadModes.Color) || frames.Length == 0)
                throw new FaceSwapException(FaceSwapError.UnreadableImage, $"The {what} is not a readable GIF",
                    "The GIF's frames could not be decoded (truncated or damaged file).");
            return frames;
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// Encodes as the upload was: JPEG stays JPEG (small, fast), GIF stays GIF, everything else becomes PNG (lossless).
    /// PNG keeps OpenCV's default settings: measured faster here than explicit low levels.
    /// </summary>
    public EncodedImage Encode(Mat image, ImageFormat like)
    {
        byte[] bytes;
        string type;
        if (like == ImageFormat.Gif && GifSupported)
        {
            Cv2.ImEncode(".gif", image, out bytes);
            type = "image/gif";
        }
        else if (like == ImageFormat.Jpeg)
        {
            Cv2.ImEncode(".jpg", image, out bytes, new ImageEncodingParam(ImwriteFlags.JpegQuality, 95));
            type = "image/jpeg";
        }
        else
        {
            Cv2.ImEncode(".png", image, out bytes);
            type = "image/png";
        }
        return new EncodedImage(SyntheticMediaLabel.Apply(bytes), type, image.Width, image.Height);
    }

    /// <summary>Encodes frames as one GIF. OpenCV's writer does not keep the source's frame delays.</summary>
    public EncodedImage EncodeGif(IReadOnlyList<Mat> frames)
    {
        RequireGif();
        var path = Path.Combine(Path.GetTempPath(), $"faceswap-{Guid.NewGuid():N}.gif");
        try
        {
            if (!Cv2.ImWrite(path, frames))
                throw new FaceSwapException(FaceSwapError.Unsupported, "The GIF could not be written",
                    "OpenCV's GIF encoder refused the frames.");
            return new EncodedImage(SyntheticMediaLabel.Apply(File.ReadAllBytes(path)), "image/gif", frames[0].Width, frames[0].Height);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
