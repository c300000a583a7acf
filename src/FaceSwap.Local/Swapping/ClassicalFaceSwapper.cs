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
    /// Largest side of the face region that is blended at full size. A bigger face is swapped on a
    /// scaled-down copy of its region and scaled back up: the source is a 256² saved face, so a larger
    /// working size adds no detail, while the Poisson solve grows with the area (≈140 ms for a 450-px face).
    /// </summary>
    public int BlendSize { get; init; } = 320;

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
        var side = Math.Max(roi.Width, roi.Height);
        Mat mask;
        if (side <= BlendSize)
        {
            mask = SwapRegion(targetRoi, source, sourceLandmarks, local);
        }
        else
        {
            var scale = (float)BlendSize / side;
            using var small = targetRoi.Resize(new Size(Math.Max(8, (int)Math.Round(roi.Width * scale)), Math.Max(8, (int)Math.Round(roi.Height * scale))), 0, 0, InterpolationFlags.Area);
            var sx = (float)small.Width / roi.Width;
            var sy = (float)small.Height / roi.Height;
            using var smallMask = SwapRegion(small, source, sourceLandmarks, local.Select(p => new Point2f(p.X * sx, p.Y * sy)).ToArray());
            using var up = small.Resize(roi.Size, 0, 0, InterpolationFlags.Linear);
            mask = smallMask.Resize(roi.Size, 0, 0, InterpolationFlags.Nearest);
            up.CopyTo(targetRoi, mask);
        }
        using (mask)
        using (var maskRoi = new Mat(fullMask, roi))
            mask.CopyTo(maskRoi);
        return fullMask;
    }

    /// <summary>Swaps inside <paramref name="region"/> (in place); returns the mask of pixels it replaced.</summary>
    private Mat SwapRegion(Mat region, Mat source, IReadOnlyList<Point2f> sourceLandmarks, Point2f[] local)
    {
        // The blend mask is where triangles landed (the landmarks' hull, up to rounding at its edge).
        var mask = new Mat(region.Size(), MatType.CV_8UC1, Scalar.All(0));
        using var warped = TriangleWarp.Warp(source, sourceLandmarks, local, TriangleWarp.Delaunay(local), region.Size(), mask);
        // Keep the blend a little inside the warped area so its anti-aliased rim never shows.
        using (var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(5, 5)))
            Cv2.Erode(mask, mask, kernel);
        // SeamlessClone needs a frame of unmasked pixels around the region it solves.
        Cv2.Rectangle(mask, new Rect(0, 0, region.Width, region.Height), Scalar.All(0), 2);
        var bounds = Cv2.BoundingRect(mask);
        if (bounds.Width < 4 || bounds.Height < 4)
        {
            mask.SetTo(Scalar.All(0));
            return mask;
        }

        if (MatchColours) ColourTransfer.Apply(warped, region, mask);
        // Outside the mask the warp is black; giving it the target's pixels there keeps the solver's
        // gradients at the edge free of a dark rim.
        using (var outside = new Mat())
        {
            Cv2.BitwiseNot(mask, outside);
            region.CopyTo(warped, outside);
        }

        using var blended = new Mat();
        // OpenCV's seamlessClone writes into the mask it is given (4.13): hand it a copy.
        using (var solverMask = mask.Clone())
            Cv2.SeamlessClone(warped, region, solverMask, new Point(bounds.X + bounds.Width / 2, bounds.Y + bounds.Height / 2), blended, SeamlessCloneFlags.NormalClone);
        // Copy through the mask: the solver may touch pixels in its bounding box outside the mask.
        blended.CopyTo(region, mask);
        return mask;
    }
}
