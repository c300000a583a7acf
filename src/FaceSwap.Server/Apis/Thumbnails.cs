using FaceSwap.Local;
using OpenCvSharp;

namespace FaceSwap.Server.Apis;

/// <summary><c>proxy_url?width=&amp;height=</c>: a result scaled down to fit the box, keeping its aspect ratio.</summary>
public static class Thumbnails
{
    private const int MaxSide = 4096;

    public static (int Width, int Height)? Requested(HttpRequest request)
    {
        int? Dimension(string name) => int.TryParse(request.Query[name], out var value) && value is > 0 and <= MaxSide ? value : null;
        var (width, height) = (Dimension("width"), Dimension("height"));
        return width is null && height is null ? null : (width ?? MaxSide, height ?? MaxSide);
    }

    /// <summary>Never scales up: a box larger than the image returns it unchanged.</summary>
    public static byte[] Fit(byte[] image, string contentType, int width, int height)
    {
        using var decoded = Cv2.ImDecode(image, ImreadModes.Unchanged);
        if (decoded.Empty()) return image;
        var scale = Math.Min((double)width / decoded.Width, (double)height / decoded.Height);
        if (scale >= 1) return image;
        using var scaled = decoded.Resize(new Size(Math.Max(1, (int)Math.Round(decoded.Width * scale)), Math.Max(1, (int)Math.Round(decoded.Height * scale))),
            interpolation: InterpolationFlags.Area);
        var extension = contentType switch { "image/jpeg" => ".jpg", "image/webp" => ".webp", _ => ".png" };
        var thumbnail = scaled.ImEncode(extension);
        // A thumbnail of a synthetic image is synthetic too: the label survives the re-encode.
        return SyntheticMediaLabel.IsPresent(image) ? SyntheticMediaLabel.Apply(thumbnail) : thumbnail;
    }
}
