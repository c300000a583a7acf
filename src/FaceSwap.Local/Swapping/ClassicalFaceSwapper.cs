using OpenCvSharp;

namespace FaceSwap.Local;

/// <summary>
/// The classical swap (2016-style face morph): warp the source face triangle by triangle onto the
/// target's landmarks (skipping triangles that would fold, mirroring or refusing by pose), match its skin
/// colours to the target's skin, and blend it in band by band under a feathered mask that stays inside the
/// jaw and the hairline. All work happens in a region around the target face, so cost depends on the face,
/// not on the photo. See docs/local-engine-quality.md for the choices and their measurements.
/// </summary>
public sealed class ClassicalFaceSwapper
{
    public bool MatchColours { get; init; } = true;

    /// <summary>
    /// Largest side of the face region that is blended at full size. A bigger face is swapped on a
    /// scaled-down copy of its region and scaled back up: the source is a 256² saved face, so a larger
    /// working size adds no detail, while the cost of warp, colour transfer and blend grows with the area.
    /// </summary>
    public int BlendSize { get; init; } = 320;

    /// <summary>
    /// Pastes the source face onto <paramref name="target"/> in place. Returns the blend mask in target
    /// coordinates (CV_8UC1, 255 where pixels may have changed; nothing outside it is touched).
    /// Throws <see cref="FaceSwapError.FaceTurnedTooFar"/> when the two poses are too far apart for a 2-D warp.
    /// </summary>
    public Mat SwapInto(Mat target, Mat source, IReadOnlyList<Point2f> sourceLandmarks, IReadOnlyList<Point2f> targetLandmarks)
    {
        if (sourceLandmarks.Count != 68 || targetLandmarks.Count != 68) throw new ArgumentException("the classical swap needs 68 landmarks on both faces");
        var plan = PoseCheck.Plan(sourceLandmarks, targetLandmarks);
        if (plan.Refuse) throw new FaceSwapException(FaceSwapError.FaceTurnedTooFar, "The face is turned too far for the classical swap", plan.Reason);

        // A face turned the other way than the target's fits better mirrored: its visible cheek lands on the target's visible cheek.
        using var mirrored = plan.MirrorSource ? source.Flip(FlipMode.Y) : null;
        var from = FaceShape.WithForehead(plan.MirrorSource ? FaceShape.Mirror(sourceLandmarks, source.Width) : sourceLandmarks);
        var to = FaceShape.WithForehead(targetLandmarks);

        var fullMask = new Mat(target.Size(), MatType.CV_8UC1, Scalar.All(0));
        var hullBounds = Cv2.BoundingRect(to);
        var margin = Math.Max(8, Math.Max(hullBounds.Width, hullBounds.Height) / 8);
        var roi = new Rect(hullBounds.X - margin, hullBounds.Y - margin, hullBounds.Width + 2 * margin, hullBounds.Height + 2 * margin)
                  & new Rect(0, 0, target.Width, target.Height);
        if (roi.Width < 8 || roi.Height < 8) return fullMask;

        using var targetRoi = new Mat(target, roi);
        var side = Math.Max(roi.Width, roi.Height);
        var scale = side <= BlendSize ? 1f : (float)BlendSize / side;
        var local = to.Select(p => new Point2f((p.X - roi.X) * scale, (p.Y - roi.Y) * scale)).ToArray();
        using var work = scale == 1f
            ? targetRoi.Clone()
            : targetRoi.Resize(new Size(Math.Max(8, (int)Math.Round(roi.Width * scale)), Math.Max(8, (int)Math.Round(roi.Height * scale))), 0, 0, InterpolationFlags.Area);

        var hull = FaceShape.VisibleOutline(local, plan.TargetYaw);
        using var alpha = SwapRegion(work, mirrored ?? source, from, local, hull);
        if (alpha is null) return fullMask;

        // Fade the swapped region into the full-resolution target: a scaled-down region comes back softer
        // than the photo around it, and only a gradual change hides that.
        using var swappedUp = scale == 1f ? null : work.Resize(roi.Size, 0, 0, InterpolationFlags.Linear);
        using var weightUp = scale == 1f ? null : alpha.Resize(roi.Size, 0, 0, InterpolationFlags.Linear);
        var weight = weightUp ?? alpha;
        using var composed = Blend(swappedUp ?? work, targetRoi, weight);
        using var changed = new Mat();
        Cv2.Threshold(weight, changed, 0, 255, ThresholdTypes.Binary);
        using var changedBytes = new Mat();
        changed.ConvertTo(changedBytes, MatType.CV_8U);
        composed.CopyTo(targetRoi, changedBytes);
        using (var maskRoi = new Mat(fullMask, roi))
            changedBytes.CopyTo(maskRoi);
        return fullMask;
    }

    /// <summary>
    /// Swaps inside <paramref name="region"/> (in place, hard-edged) within the hull of <paramref name="outline"/>;
    /// returns the weight (CV_32FC1, 0–1) with which the result should replace the original there, or null
    /// when nothing could be placed.
    /// </summary>
    private Mat? SwapRegion(Mat region, Mat source, Point2f[] from, Point2f[] to, Point2f[] outline)
    {
        var size = region.Size();
        using var coverage = new Mat(size, MatType.CV_8UC1, Scalar.All(0));
        using var warped = TriangleWarp.Warp(source, from, to, TriangleWarp.Delaunay(to), size, coverage);

        // The face: the hull of its visible outline (landmarks and forehead estimate), where a triangle really landed.
        var faceWidth = Distance(to[0], to[16]);
        using var face = new Mat(size, MatType.CV_8UC1, Scalar.All(0));
        Cv2.FillConvexPoly(face, Cv2.ConvexHull(outline.Select(p => new Point((int)MathF.Round(p.X), (int)MathF.Round(p.Y)))), Scalar.All(255));
        Cv2.BitwiseAnd(face, coverage, face);
        // A frame of untouched pixels: a face cut off by the photo's edge still fades out inside the region.
        Cv2.Rectangle(face, new Rect(0, 0, size.Width, size.Height), Scalar.All(0), 2);
        // Off the warp's anti-aliased rim.
        using var placed = Erode(face, 2);
        var bounds = Cv2.BoundingRect(placed);
        if (bounds.Width < 8 || bounds.Height < 8) return null;

        if (MatchColours)
        {
            using var skin = FaceShape.SkinMask(to, face);
            ColourTransfer.Apply(warped, region, skin, placed);
        }
        // Outside the face the warp is black; giving it the target's pixels keeps the blend's coarse bands
        // free of a dark rim (and fills triangles that were skipped as folded).
        using (var outside = new Mat())
        {
            Cv2.BitwiseNot(coverage, outside);
            region.CopyTo(warped, outside);
        }

        // Multi-band blend: each band of detail crosses over in a zone as wide as its own scale, so the
        // pasted face's overall tone fades into the target's over the whole feather while its edges and
        // pores stop sharply at the hull, and no band shows a line. (seamlessClone was tried: it imports
        // the colour of whatever the mask border touches, often hair, and leaves the face washed out.)
        var feather = Math.Max(2, (int)MathF.Round(faceWidth * 0.05f));
        using var inner = Erode(placed, feather + 1);
        using var weight = Feather(inner, feather);
        using var blended = MultiBandBlend(warped, region, weight, Levels(bounds.Size));
        blended.CopyTo(region, placed);

        // The weight with which the result replaces the original: the face, feathered inside its own hull,
        // so no band's reach shows outside it and nothing outside the mask changes.
        var edge = Math.Max(2, feather / 2);
        using var rim = Erode(placed, edge + 1);
        return Feather(rim, edge);
    }

    /// <summary>Pyramid levels for a region: down to about 16 px, at most 5.</summary>
    private static int Levels(Size size) => Math.Clamp((int)Math.Log2(Math.Min(size.Width, size.Height) / 16.0), 1, 5);

    /// <summary>A 0–1 weight (CV_32FC1): <paramref name="mask"/> blurred over <paramref name="radius"/> px, the blur's faint tail cut.</summary>
    private static Mat Feather(Mat mask, int radius)
    {
        var weight = new Mat();
        mask.ConvertTo(weight, MatType.CV_32F, 1 / 255.0);
        Cv2.GaussianBlur(weight, weight, new Size(2 * radius + 1, 2 * radius + 1), 0);
        Cv2.Threshold(weight, weight, 0.002, 0, ThresholdTypes.Tozero);
        return weight;
    }

    /// <summary>Burt–Adelson blend of two 8-bit BGR images by a 0–1 weight for <paramref name="front"/>.</summary>
    internal static Mat MultiBandBlend(Mat front, Mat back, Mat weight, int levels)
    {
        var f = new List<Mat>();
        var b = new List<Mat>();
        var w = new List<Mat>();
        try
        {
            Mat F = new(), B = new(), W = weight.Clone();
            // Float levels: a band of detail is signed.
            front.ConvertTo(F, MatType.CV_32FC3);
            back.ConvertTo(B, MatType.CV_32FC3);
            f.Add(F); b.Add(B); w.Add(W);
            for (var i = 0; i < levels; i++)
            {
                f.Add(f[^1].PyrDown()); b.Add(b[^1].PyrDown()); w.Add(w[^1].PyrDown());
            }
            // Blend the coarsest level, then add each finer level's detail band blended by that level's weight.
            var current = Blend(f[^1], b[^1], w[^1]);
            for (var i = levels - 1; i >= 0; i--)
            {
                var size = f[i].Size();
                using var up = current.PyrUp(size);
                current.Dispose();
                using var fd = Detail(f[i], f[i + 1]);
                using var bd = Detail(b[i], b[i + 1]);
                using var detail = Blend(fd, bd, w[i]);
                current = new Mat();
                Cv2.Add(up, detail, current);
            }
            var bytes = new Mat();
            current.ConvertTo(bytes, MatType.CV_8UC3);
            current.Dispose();
            return bytes;
        }
        finally
        {
            foreach (var m in f.Concat(b).Concat(w)) m.Dispose();
        }
    }

    /// <summary>A level's band of detail: the level minus its coarser level scaled back up.</summary>
    private static Mat Detail(Mat level, Mat coarser)
    {
        using var up = coarser.PyrUp(level.Size());
        var detail = new Mat();
        Cv2.Subtract(level, up, detail);
        return detail;
    }

    private static Mat Blend(Mat front, Mat back, Mat weight)
    {
        using var rest = new Mat();
        weight.ConvertTo(rest, MatType.CV_32F, -1, 1);
        var result = new Mat();
        Cv2.BlendLinear(front, back, weight, rest, result);
        return result;
    }

    private static Mat Erode(Mat mask, int radius)
    {
        var eroded = new Mat();
        using var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(2 * radius + 1, 2 * radius + 1));
        Cv2.Erode(mask, eroded, kernel);
        return eroded;
    }

    private static float Distance(Point2f a, Point2f b) => MathF.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));
}
