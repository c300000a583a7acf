using OpenCvSharp;

namespace FaceSwap.Local;

/// <summary>
/// The classical swap (2016-style face morph): warp the source face triangle by triangle onto the
/// target's landmarks, match its colours to the target's skin, and Poisson-blend it in. All work happens
/// in a region around the target face, so cost depends on the face, not on the photo.
/// </summary>
public sealed class ClassicalFaceSwapper
{
    public bool MatchColours { get; init; } = true;

    /// <summary>
    /// Pastes the source face onto <paramref name="target"/> in place. Returns the blend mask in target
    /// coordinates (CV_8UC1, 255 where pixels may have changed; nothing outside it is touched).
    /// </summary>
    public Mat SwapInto(Mat target, Mat source, IReadOnlyList<Point2f> sourceLandmarks, IReadOnlyList<Point2f> targetLandmarks)
    {
        if (sourceLandmarks.Count != targetLandmarks.Count) throw new ArgumentException("landmark sets differ in size");
        var fullMask = new Mat(target.Size(), MatType.CV_8UC1, Scalar.All(0));
        var hullBounds = Cv2.BoundingRect(targetLandmarks);
        var margin = Math.Max(8, Math.Max(hullBounds.Width, hullBounds.Height) / 8);
        var roi = new Rect(hullBounds.X - margin, hullBounds.Y - margin, hullBounds.Width + 2 * margin, hullBounds.Height + 2 * margin)
                  & new Rect(0, 0, target.Width, target.Height);
        if (roi.Width < 8 || roi.Height < 8) return fullMask;

        var local = targetLandmarks.Select(p => new Point2f(p.X - roi.X, p.Y - roi.Y)).ToArray();
        using var targetRoi = new Mat(target, roi);
        using var warped = TriangleWarp.Warp(source, sourceLandmarks, local, TriangleWarp.Delaunay(local), roi.Size);

        using var mask = new Mat(roi.Size, MatType.CV_8UC1, Scalar.All(0));
        var hull = Cv2.ConvexHull(local.Select(p => new Point((int)MathF.Round(p.X), (int)MathF.Round(p.Y))));
        Cv2.FillConvexPoly(mask, hull, Scalar.All(255));
        // Triangle edges leave a one-pixel seam of black at the hull border; keep the blend inside it.
        using (var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(5, 5)))
            Cv2.Erode(mask, mask, kernel);
        // SeamlessClone needs a frame of unmasked pixels around the region it solves.
        Cv2.Rectangle(mask, new Rect(0, 0, roi.Width, roi.Height), Scalar.All(0), 2);
        var bounds = Cv2.BoundingRect(mask);
        if (bounds.Width < 4 || bounds.Height < 4) return fullMask;

        if (MatchColours) ColourTransfer.Apply(warped, targetRoi, mask);

        using var blended = new Mat();
        // OpenCV's seamlessClone writes into the mask it is given (4.13): hand it a copy.
        using var solverMask = mask.Clone();
        Cv2.SeamlessClone(warped, targetRoi, solverMask, new Point(bounds.X + bounds.Width / 2, bounds.Y + bounds.Height / 2), blended, SeamlessCloneFlags.NormalClone);
        // Copy through the mask: the solver may touch pixels in its bounding box outside the mask.
        blended.CopyTo(targetRoi, mask);
        using (var maskRoi = new Mat(fullMask, roi)) mask.CopyTo(maskRoi);
        return fullMask;
    }
}
