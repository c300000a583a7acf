using System.Security.Cryptography;
using System.Text;
using FaceSwap.Sandbox.Discord;
using OpenCvSharp;

namespace FaceSwap.Sandbox.Rendering;

/// <summary>
/// The sandbox's stand-in for the bot's neural network: plain, predictable image operations, so a test can tell
/// a result from its inputs.
/// <list type="bullet">
/// <item>Face check: an image has a face when it decodes and is not a single flat colour.</item>
/// <item>Swap: the face image, scaled to a third of the target's shorter side, pasted in the target's centre;
/// with no face ("_") the target is mirrored left-right. Output at most 2048 px, as the bot's.</item>
/// <item>Prompt (headshot, changebg): a 512×512 canvas in a colour taken from SHA-256 of the prompt, with the subject
/// scaled into its centre half.</item>
/// </list>
/// All results are PNG.
/// </summary>
/// <param name="maxPixels">
/// The most pixels an image may have to be decoded, read from its header first (the local engine's
/// <c>FaceSwap:Local:MaxPixels</c> default): larger images, and images whose size the header does not say, count as
/// not decodable.
/// </param>
public sealed class OpenCvBotImageRenderer(long maxPixels = OpenCvBotImageRenderer.DefaultMaxPixels) : IBotImageRenderer
{
    public const long DefaultMaxPixels = 40_000_000;
    private const int MaxSide = 2048;
    private const int CanvasSide = 512;

    public Task<bool> HasFaceAsync(byte[] image, CancellationToken ct)
    {
        using var mat = Decode(image);
        if (mat is null || mat.Width < 8 || mat.Height < 8) return Task.FromResult(false);
        Cv2.MeanStdDev(mat, out _, out var deviation);
        bool varied = deviation.Val0 >= 1 || deviation.Val1 >= 1 || deviation.Val2 >= 1;
        return Task.FromResult(varied);
    }

    public Task<RenderedImage> RenderSwapAsync(byte[]? faceImage, byte[] targetImage, CancellationToken ct)
    {
        using var target = Decode(targetImage) ?? throw new InvalidDataException("the target is not an image");
        using var result = FitWithin(target, MaxSide);
        using var face = faceImage is null ? null : Decode(faceImage);
        if (face is null)
        {
            Cv2.Flip(result, result, FlipMode.Y);
        }
        else
        {
            int side = Math.Max(8, Math.Min(result.Width, result.Height) / 3);
            PasteCentred(result, face, side);
        }
        return Task.FromResult(Encode(result));
    }

    public Task<RenderedImage> RenderPromptAsync(byte[]? subjectImage, string prompt, CancellationToken ct)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(prompt));
        using var canvas = new Mat(CanvasSide, CanvasSide, MatType.CV_8UC3, new Scalar(hash[0], hash[1], hash[2]));
        using var subject = subjectImage is null ? null : Decode(subjectImage);
        if (subject is not null) PasteCentred(canvas, subject, CanvasSide / 2);
        return Task.FromResult(Encode(canvas));
    }

    private Mat? Decode(byte[] bytes)
    {
        if (!MediaSniffer.FitsPixelLimit(bytes, maxPixels)) return null;
        try
        {
            var mat = Cv2.ImDecode(bytes, ImreadModes.Color);
            if (!mat.Empty()) return mat;
            mat.Dispose();
            return null;
        }
        catch (OpenCVException)
        {
            return null;
        }
    }

    private static Mat FitWithin(Mat image, int maxSide)
    {
        int longest = Math.Max(image.Width, image.Height);
        if (longest <= maxSide) return image.Clone();
        double scale = (double)maxSide / longest;
        var resized = new Mat();
        Cv2.Resize(image, resized, new Size(Math.Max(1, (int)(image.Width * scale)), Math.Max(1, (int)(image.Height * scale))), 0, 0, InterpolationFlags.Area);
        return resized;
    }

    /// <summary>Scales <paramref name="overlay"/> to fit a box of <paramref name="side"/> pixels and copies it into the centre.</summary>
    private static void PasteCentred(Mat canvas, Mat overlay, int side)
    {
        double scale = Math.Min((double)side / overlay.Width, (double)side / overlay.Height);
        int width = Math.Clamp((int)(overlay.Width * scale), 1, canvas.Width);
        int height = Math.Clamp((int)(overlay.Height * scale), 1, canvas.Height);
        using var scaled = new Mat();
        Cv2.Resize(overlay, scaled, new Size(width, height), 0, 0, InterpolationFlags.Area);
        var box = new Rect((canvas.Width - width) / 2, (canvas.Height - height) / 2, width, height);
        using var region = new Mat(canvas, box);
        scaled.CopyTo(region);
    }

    private static RenderedImage Encode(Mat image)
    {
        Cv2.ImEncode(".png", image, out byte[] png);
        return new RenderedImage(png, "image/png", "png", image.Width, image.Height);
    }
}
