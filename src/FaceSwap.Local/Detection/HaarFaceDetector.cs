using OpenCvSharp;

namespace FaceSwap.Local;

/// <summary>
/// OpenCV's Viola–Jones cascades, the fallback when no BlazeFace model is present. A single cascade
/// fires on blinds, badges and fabric, and a false face fed to the swap gives garbage, so every box
/// must be confirmed by a second, differently trained cascade.
/// </summary>
public sealed class HaarFaceDetector : IFaceDetector, IDisposable
{
    private readonly CascadeClassifier _primary;
    private readonly CascadeClassifier _confirm;
    private readonly object _gate = new();

    public string Name => "haar";

    /// <summary>Long side the image is scaled to first: cascades are slow on 1920-px photos and gain little.</summary>
    public int WorkingSize { get; init; } = 800;

    public HaarFaceDetector(string primaryCascadePath, string confirmCascadePath)
    {
        _primary = Load(primaryCascadePath);
        _confirm = Load(confirmCascadePath);
    }

    private static CascadeClassifier Load(string path)
    {
        var c = new CascadeClassifier();
        if (!File.Exists(path) || !c.Load(path))
        {
            c.Dispose();
            throw new FaceSwapException(FaceSwapError.ModelInvalid, "Unreadable face cascade", $"{path} is not an OpenCV cascade file");
        }
        return c;
    }

    public IReadOnlyList<DetectedFace> Detect(Mat image)
    {
        var scale = Math.Min(1.0, (double)WorkingSize / Math.Max(image.Width, image.Height));
        using var gray = new Mat();
        using (var small = scale < 1 ? image.Resize(new Size(), scale, scale, InterpolationFlags.Area) : image.Clone())
        {
            if (small.Channels() == 1) small.CopyTo(gray);
            else Cv2.CvtColor(small, gray, ColorConversionCodes.BGR2GRAY);
        }
        Cv2.EqualizeHist(gray, gray);
        var faces = new List<DetectedFace>();
        lock (_gate)
        {
            var primary = _primary.DetectMultiScale(gray, 1.1, 5, HaarDetectionTypes.ScaleImage, new Size(40, 40));
            foreach (var r in primary)
            {
                // Confirm on the candidate's neighbourhood only: a second full-image pass costs seconds.
                var pad = r.Width / 4;
                var area = new Rect(r.X - pad, r.Y - pad, r.Width + 2 * pad, r.Height + 2 * pad) & new Rect(0, 0, gray.Width, gray.Height);
                using var patch = new Mat(gray, area);
                var confirm = _confirm.DetectMultiScale(patch, 1.05, 4, HaarDetectionTypes.ScaleImage,
                    new Size(r.Width * 7 / 10, r.Height * 7 / 10), new Size(r.Width * 14 / 10, r.Height * 14 / 10));
                var box = new Rect2f(r.X, r.Y, r.Width, r.Height);
                var best = confirm.Select(c => DetectedFace.IoU(box, new Rect2f(c.X + area.X, c.Y + area.Y, c.Width, c.Height))).DefaultIfEmpty(0).Max();
                if (best < 0.5f) continue;
                var s = (float)(1 / scale);
                faces.Add(new DetectedFace(new Rect2f(r.X * s, r.Y * s, r.Width * s, r.Height * s), best, []));
            }
        }
        return DetectedFace.Suppress(faces, 0.3f).OrderBy(f => f.Box.X).ToList();
    }

    public void Dispose()
    {
        _primary.Dispose();
        _confirm.Dispose();
    }
}
