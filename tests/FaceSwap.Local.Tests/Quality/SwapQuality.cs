using OpenCvSharp;

namespace FaceSwap.Local.Quality;

/// <summary>How one swapped face measures up (see docs/local-engine-quality.md for what each figure means).</summary>
public sealed record FaceQuality(
    int Index,
    Rect2f Box,
    string Outcome,
    int ChangedPixels,
    double OffHueShare,
    double SeamRatio,
    double PlacementError,
    double DetectorAgreement,
    string PlacementNote,
    double Yaw,
    int Folds)
{
    public bool Swapped => Outcome is "swapped" or "swapped (mirrored source)";

    public override string ToString() =>
        $"face {Index} at ({Box.X:F0},{Box.Y:F0} {Box.Width:F0}×{Box.Height:F0}) yaw {Yaw:+0.00;-0.00}: {Outcome}; {Folds} folded triangles skipped; changed {ChangedPixels} px, " +
        $"off-hue {OffHueShare:P2}, seam {SeamRatio:F1}, placement {(double.IsNaN(PlacementError) ? PlacementNote : $"{PlacementError:P1} of IOD (detectors agree to {DetectorAgreement:P1} on the target)")}";
}

/// <summary>
/// Swaps one source face onto every face of a photo, one face at a time, and measures each result the way
/// the quality issue asks: colours the target never had, an edge where the blend mask ends, and where an
/// independent detector (Haar + dlib, when BlazeFace placed the face) finds the pasted face's landmarks.
/// Shared by the quality test and the contact-sheet tool.
/// </summary>
public static class SwapQuality
{
    /// <summary>OpenCV hue range (0–180) of greens, cyans and blues: no skin has it.</summary>
    public const int CoolHueLow = 35, CoolHueHigh = 130;
    /// <summary>Saturation (0–255) above which such a hue is a visible colour, not a grey.</summary>
    public const int SaturatedAbove = 60;

    public sealed record PhotoResult(Mat Target, Mat Result, IReadOnlyList<FaceQuality> Faces, IReadOnlyList<AnalysedFace> Detected);

    public static PhotoResult Measure(FaceSwapPipeline placer, FaceModels readBack, SavedFace source, Mat target)
    {
        var faces = placer.Analyse(target);
        var result = target.Clone();
        var masks = new List<(AnalysedFace Face, Mat? Mask, string Outcome)>();
        var folds = new List<int>();
        foreach (var face in faces)
        {
            folds.Add(Folds(source, face));
            try
            {
                var mask = placer.SwapInto(result, [source], greedy: false, "target", [face]);
                var pose = PoseCheck.Plan(source.Landmarks68!, face.Landmarks68!);
                masks.Add((face, mask, pose.MirrorSource ? "swapped (mirrored source)" : "swapped"));
            }
            catch (FaceSwapException e)
            {
                masks.Add((face, null, "refused: " + e.Message));
            }
        }

        var readBackFaces = readBack.Detector!.Detect(result);
        var targetFaces = readBack.Detector.Detect(target);
        var qualities = new List<FaceQuality>();
        for (var i = 0; i < masks.Count; i++)
        {
            var (face, mask, outcome) = masks[i];
            if (mask is null)
            {
                qualities.Add(new FaceQuality(i, face.Box, outcome, 0, 0, 0, double.NaN, double.NaN, "not swapped", FacePose.Yaw(face.Landmarks68!), folds[i]));
                continue;
            }
            using (mask)
            {
                var changed = Cv2.CountNonZero(mask);
                var offHue = OffHueShare(target, result, mask);
                var seam = SeamRatio(target, result, mask);
                var (placement, agreement, note) = Placement(readBack, target, result, face, targetFaces, readBackFaces);
                qualities.Add(new FaceQuality(i, face.Box, outcome, changed, offHue, seam, placement, agreement, note, FacePose.Yaw(face.Landmarks68!), folds[i]));
            }
        }
        return new PhotoResult(target, result, qualities, faces);
    }

    /// <summary>Triangles of the warp that would land flipped or flat (the warp skips them), as the swap plans them.</summary>
    public static int Folds(SavedFace source, AnalysedFace face)
    {
        var plan = PoseCheck.Plan(source.Landmarks68!, face.Landmarks68!);
        var from = FaceShape.WithForehead(plan.MirrorSource ? FaceShape.Mirror(source.Landmarks68!, SavedFace.AlignedSize) : source.Landmarks68!);
        var to = FaceShape.WithForehead(face.Landmarks68!);
        return TriangleWarp.CountFolds(from, to, TriangleWarp.Delaunay(to));
    }

    /// <summary>
    /// Share of the pixels the swap changed that now show a saturated green/cyan/blue the target did not
    /// show at the same place (speckles from a colour transfer that overflowed the gamut).
    /// </summary>
    public static double OffHueShare(Mat target, Mat result, Mat mask)
    {
        using var diff = new Mat();
        Cv2.Absdiff(target, result, diff);
        using var diffGray = diff.CvtColor(ColorConversionCodes.BGR2GRAY);
        using var changed = new Mat();
        Cv2.Threshold(diffGray, changed, 4, 255, ThresholdTypes.Binary);
        Cv2.BitwiseAnd(changed, mask, changed);
        var total = Cv2.CountNonZero(changed);
        if (total == 0) return 0;
        using var coolResult = Cool(result);
        using var coolTarget = Cool(target);
        using var newCool = new Mat();
        Cv2.BitwiseNot(coolTarget, coolTarget);
        Cv2.BitwiseAnd(coolResult, coolTarget, newCool);
        Cv2.BitwiseAnd(newCool, changed, newCool);
        return (double)Cv2.CountNonZero(newCool) / total;
    }

    private static Mat Cool(Mat bgr)
    {
        using var hsv = bgr.CvtColor(ColorConversionCodes.BGR2HSV);
        var cool = new Mat();
        Cv2.InRange(hsv, new Scalar(CoolHueLow, SaturatedAbove + 1, 30), new Scalar(CoolHueHigh, 255, 255), cool);
        return cool;
    }

    /// <summary>
    /// How strongly an edge runs along the border of the swap: the gradient magnitude the result has beyond
    /// the target's (the excess), on 1-px rings 1–24 px inside the changed area, in 12 sectors around the
    /// face. Per sector, the peak excess of any two adjacent rings above the sector's median excess (what the
    /// new face adds everywhere: its own features); the worst sector, in grey levels of a 3×3 Sobel. A
    /// pasted patch with a hard border peaks at the border ring; a smooth blend has no peak.
    /// </summary>
    public static double SeamRatio(Mat target, Mat result, Mat mask)
    {
        var bounds = Cv2.BoundingRect(mask);
        if (bounds.Width < 8 || bounds.Height < 8) return 0;
        var roi = new Rect(bounds.X - 4, bounds.Y - 4, bounds.Width + 8, bounds.Height + 8) & new Rect(0, 0, target.Width, target.Height);
        using var m = new Mat(mask, roi);
        using var binary = new Mat();
        Cv2.Threshold(m, binary, 0, 255, ThresholdTypes.Binary);
        using var inside = new Mat();
        Cv2.DistanceTransform(binary, inside, DistanceTypes.L2, DistanceTransformMasks.Precise);
        using var gt = Gradient(new Mat(target, roi));
        using var gr = Gradient(new Mat(result, roi));
        const int sectors = 12, rings = 24;
        var excess = new double[rings, sectors];
        var count = new int[rings, sectors];
        var cx = bounds.X + bounds.Width / 2.0 - roi.X;
        var cy = bounds.Y + bounds.Height / 2.0 - roi.Y;
        for (var y = 0; y < roi.Height; y++)
            for (var x = 0; x < roi.Width; x++)
            {
                var d = inside.At<float>(y, x);
                if (d <= 0) continue;
                var ring = (int)MathF.Round(d) - 1;
                if (ring < 0 || ring >= rings) continue;
                var angle = Math.Atan2(y - cy, x - cx) + Math.PI;
                var sector = Math.Min(sectors - 1, (int)(angle / (2 * Math.PI) * sectors));
                excess[ring, sector] += gr.At<float>(y, x) - gt.At<float>(y, x);
                count[ring, sector]++;
            }
        var worst = 0.0;
        for (var s = 0; s < sectors; s++)
        {
            var profile = new List<double>();
            for (var r = 0; r + 1 < rings; r++)
            {
                var n = count[r, s] + count[r + 1, s];
                if (n >= 20) profile.Add((excess[r, s] + excess[r + 1, s]) / n);
            }
            if (profile.Count < 4) continue;
            var median = profile.Order().ElementAt(profile.Count / 2);
            worst = Math.Max(worst, profile.Max() - median);
        }
        return worst;
    }

    private static Mat Gradient(Mat bgr)
    {
        using var gray = bgr.CvtColor(ColorConversionCodes.BGR2GRAY);
        using var gx = new Mat();
        using var gy = new Mat();
        Cv2.Sobel(gray, gx, MatType.CV_32F, 1, 0, 3);
        Cv2.Sobel(gray, gy, MatType.CV_32F, 0, 1, 3);
        var magnitude = new Mat();
        Cv2.Magnitude(gx, gy, magnitude);
        return magnitude;
    }

    /// <summary>
    /// Median distance over the 68 points between those the read-back detector finds on the result and
    /// the target's, as a share of the target's inter-ocular distance (eye centre to eye
    /// centre). Also how well the two detectors agree on the untouched target, for scale.
    /// </summary>
    private static (double Error, double Agreement, string Note) Placement(FaceModels readBack, Mat target, Mat result,
        AnalysedFace face, IReadOnlyList<DetectedFace> targetFaces, IReadOnlyList<DetectedFace> resultFaces)
    {
        var expected = face.Landmarks68!;
        var five = FaceAlignment.FivePointsFrom68(expected);
        var iod = Distance(five[0], five[1]);
        DetectedFace? Match(IReadOnlyList<DetectedFace> found) => found
            .Where(f => Contains(face.Box, Centre(f.Box)) && Contains(f.Box, Centre(face.Box)))
            .MinBy(f => Distance(Centre(f.Box), Centre(face.Box)));
        var before = Match(targetFaces);
        if (before is null) return (double.NaN, double.NaN, $"{readBack.Detector!.Name} does not find this face in the target either");
        var after = Match(resultFaces);
        if (after is null) return (double.PositiveInfinity, double.NaN, $"{readBack.Detector!.Name} no longer finds a face here");
        // The median over the 68 points: a misplaced face moves most of them, while one point that dlib
        // puts elsewhere on the new face (a mouth corner of a smile pasted on pursed lips, the jaw line
        // that follows whichever silhouette is stronger) does not count as a misplaced face.
        var agreement = MedianDistance(readBack.Landmarker!.Locate(target, before), expected) / iod;
        var error = MedianDistance(readBack.Landmarker.Locate(result, after), expected) / iod;
        return (error, agreement, "");
    }

    private static Point2f Centre(Rect2f r) => new(r.X + r.Width / 2, r.Y + r.Height / 2);
    private static bool Contains(Rect2f r, Point2f p) => p.X >= r.Left && p.X <= r.Right && p.Y >= r.Top && p.Y <= r.Bottom;
    private static double Distance(Point2f a, Point2f b) => Math.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));
    private static double MedianDistance(IReadOnlyList<Point2f> a, IReadOnlyList<Point2f> b) => a.Zip(b, Distance).Order().ElementAt(a.Count / 2);
}
