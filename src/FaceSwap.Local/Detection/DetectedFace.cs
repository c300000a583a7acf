using OpenCvSharp;

namespace FaceSwap.Local;

/// <summary>
/// One face a detector found, in image pixels. <see cref="FivePoints"/> (eyes, nose tip, mouth
/// corners, in image left-to-right order) is set by detectors that predict them (SCRFD); BlazeFace's
/// six keypoints (eyes, nose, mouth centre, ears) are in <see cref="Keypoints"/>.
/// </summary>
public sealed record DetectedFace(Rect2f Box, float Score, Point2f[] Keypoints, Point2f[]? FivePoints = null)
{
    public float Area => Box.Width * Box.Height;

    public static float IoU(Rect2f a, Rect2f b)
    {
        var x1 = Math.Max(a.Left, b.Left); var y1 = Math.Max(a.Top, b.Top);
        var x2 = Math.Min(a.Right, b.Right); var y2 = Math.Min(a.Bottom, b.Bottom);
        var inter = Math.Max(0, x2 - x1) * Math.Max(0, y2 - y1);
        var union = a.Width * a.Height + b.Width * b.Height - inter;
        return union <= 0 ? 0 : inter / union;
    }

    /// <summary>Greedy non-maximum suppression, best score first.</summary>
    public static List<DetectedFace> Suppress(IEnumerable<DetectedFace> faces, float iouThreshold)
    {
        var kept = new List<DetectedFace>();
        foreach (var f in faces.OrderByDescending(f => f.Score))
            if (kept.All(k => IoU(k.Box, f.Box) <= iouThreshold)) kept.Add(f);
        return kept;
    }
}

public interface IFaceDetector
{
    /// <summary>A short name for reports (blazeface, haar, scrfd).</summary>
    string Name { get; }

    /// <summary>Faces in an 8-bit BGR image, sorted left to right.</summary>
    IReadOnlyList<DetectedFace> Detect(Mat image);
}
