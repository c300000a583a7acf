using OpenCvSharp;

namespace FaceSwap.Local.Tests;

/// <summary>The classical swap's safeguards: no folded triangles, pose-aware mirroring and refusal, bounded colour transfer.</summary>
public class SwapGeometryTests
{
    private static readonly Point2f[] Corners = [new(10, 10), new(90, 10), new(10, 90)];

    private static int Warped(Point2f[] to)
    {
        using var source = new Mat(100, 100, MatType.CV_8UC3, Scalar.All(200));
        using var coverage = new Mat(100, 100, MatType.CV_8UC1, Scalar.All(0));
        using var output = TriangleWarp.Warp(source, Corners, to, [(0, 1, 2)], new Size(100, 100), coverage);
        using var gray = output.CvtColor(ColorConversionCodes.BGR2GRAY);
        Assert.Equal(Cv2.CountNonZero(gray), Cv2.CountNonZero(coverage));
        return Cv2.CountNonZero(coverage);
    }

    [Fact]
    public void A_triangle_that_would_land_flipped_or_flat_is_not_warped()
    {
        // Same orientation, moved and scaled: warped.
        Assert.InRange(Warped([new(20, 20), new(80, 20), new(20, 80)]), 1500, 2000);
        // Mirrored (corners run the other way round): it would fold over its neighbours.
        Assert.Equal(0, Warped([new(90, 10), new(10, 10), new(90, 90)]));
        // Collinear: a sliver that would smear the whole triangle into a line.
        Assert.Equal(0, Warped([new(10, 10), new(50, 50), new(90, 90)]));
        Assert.True(TriangleWarp.Folds(Corners, [new(90, 10), new(10, 10), new(90, 90)]));
        Assert.False(TriangleWarp.Folds(Corners, [new(20, 20), new(80, 20), new(20, 80)]));
    }

    [Fact]
    public void Multi_band_blend_gives_the_front_where_the_weight_is_one_the_back_where_it_is_zero_and_no_step_between()
    {
        using var front = new Mat(96, 128, MatType.CV_8UC3, new Scalar(40, 90, 200));
        using var back = new Mat(96, 128, MatType.CV_8UC3, new Scalar(200, 160, 60));
        using var weight = new Mat(96, 128, MatType.CV_32FC1, Scalar.All(0));
        using (var left = weight.ColRange(0, 64)) left.SetTo(Scalar.All(1));
        using var blended = ClassicalFaceSwapper.MultiBandBlend(front, back, weight, 4);
        Assert.Equal(front.Size(), blended.Size());
        // Far from the edge each side keeps its own colour.
        Assert.InRange(Math.Abs(blended.At<Vec3b>(48, 4).Item2 - 200), 0, 2);
        Assert.InRange(Math.Abs(blended.At<Vec3b>(48, 124).Item2 - 60), 0, 2);
        // Across the edge the change is spread out: no neighbouring columns differ by more than a fraction of the step.
        var steps = Enumerable.Range(1, 127).Select(x => Math.Abs(blended.At<Vec3b>(48, x).Item2 - blended.At<Vec3b>(48, x - 1).Item2));
        Assert.InRange(steps.Max(), 1, 140 / 4);
    }

    [SkippableFact]
    public void Mirrored_landmarks_match_those_found_on_the_flipped_image()
    {
        var models = Fixtures.Classical();
        using var image = Fixtures.Read(Fixtures.Astronaut);
        using var flipped = image.Flip(FlipMode.Y);
        var l = models.Landmarker!.Locate(image, models.Detector!.Detect(image)[0]);
        var onFlipped = models.Landmarker.Locate(flipped, models.Detector.Detect(flipped)[0]);
        var mirrored = FaceShape.Mirror(l, image.Width);
        var iod = FaceAlignment.FivePointsFrom68(l)[0].DistanceTo(FaceAlignment.FivePointsFrom68(l)[1]);
        // dlib is not exactly mirror-symmetric; each point agrees within a tenth of the eye distance.
        for (var i = 0; i < 68; i++) Assert.InRange(mirrored[i].DistanceTo(onFlipped[i]), 0, iod * 0.1);
        Assert.InRange(FacePose.Yaw(mirrored) + FacePose.Yaw(l), -1e-6, 1e-6);
    }

    [SkippableFact]
    public void A_source_turned_the_other_way_is_mirrored_and_swaps_a_face_it_would_otherwise_not_fit()
    {
        var pipeline = new FaceSwapPipeline(Fixtures.Classical());
        using var sample1 = Fixtures.Read(Fixtures.GroupPhoto(1));
        var turnedLeft = pipeline.Analyse(sample1).First(); // looks to the image's left (yaw ≈ −0.64)
        var source = pipeline.Capture(sample1, turnedLeft);
        using var target = Fixtures.Read(Fixtures.GroupPhoto(4));
        var turnedRight = pipeline.Analyse(target).First(); // looks to the image's right (yaw ≈ +0.62)
        var plan = PoseCheck.Plan(source.Landmarks68!, turnedRight.Landmarks68!);
        Assert.True(FacePose.Yaw(source.Landmarks68!) < -0.4 && FacePose.Yaw(turnedRight.Landmarks68!) > 0.4, $"poses {plan}");
        Assert.True(plan.MirrorSource, $"not mirrored: {plan}");
        Assert.False(plan.Refuse);
        using var before = target.Clone();
        using var mask = pipeline.SwapInto(target, [source], greedy: false, "target", [turnedRight]);
        Assert.True(Cv2.CountNonZero(mask) > 5000);
        Assert.Equal(255, mask.At<byte>((int)turnedRight.Landmarks68![30].Y, (int)turnedRight.Landmarks68[30].X));
    }

    [SkippableFact]
    public void Greedy_mode_leaves_a_face_turned_too_far_and_a_named_one_is_refused_with_the_reason()
    {
        var pipeline = new FaceSwapPipeline(Fixtures.Classical());
        using var astronaut = Fixtures.Read(Fixtures.Astronaut);
        var source = pipeline.Capture(astronaut, "source");
        using var target = Fixtures.Read(Fixtures.GroupPhoto(5));
        var faces = pipeline.Analyse(target);
        var profile = faces.Select((f, i) => (Face: f, Index: i)).First(x => Math.Abs(FacePose.Yaw(x.Face.Landmarks68!)) > 0.7);
        var nose = profile.Face.Landmarks68![30];

        using (var greedy = target.Clone())
        using (var mask = pipeline.SwapInto(greedy, [source], greedy: true, "target", faces))
        {
            Assert.Equal(0, mask.At<byte>((int)nose.Y, (int)nose.X));
            Assert.True(Cv2.CountNonZero(mask) > 3 * 5000, "the other faces were not swapped");
        }

        var named = Enumerable.Repeat<SavedFace?>(null, profile.Index).Append(source).ToList();
        var e = Assert.Throws<FaceSwapException>(() => pipeline.SwapInto(target.Clone(), named, greedy: false, "target", faces));
        Assert.Equal(FaceSwapError.FaceTurnedTooFar, e.Kind);
        Assert.Contains("turned", e.Details);
    }

    [Fact]
    public void Colour_transfer_under_a_blue_cast_moves_toward_the_target_skin_without_making_cyan()
    {
        // Source: even skin with slight noise and white teeth. Target: skin, half of it lit cyan.
        using var face = new Mat(80, 80, MatType.CV_8UC3, new Scalar(120, 150, 200));
        using (var noise = new Mat(80, 80, MatType.CV_8UC3))
        {
            Cv2.Randu(noise, Scalar.All(0), Scalar.All(12));
            Cv2.Add(face, noise, face);
        }
        Cv2.Rectangle(face, new Rect(30, 55, 20, 8), new Scalar(250, 252, 252), -1);
        using var reference = new Mat(80, 80, MatType.CV_8UC3, new Scalar(90, 120, 190));
        Cv2.Rectangle(reference, new Rect(0, 0, 40, 80), new Scalar(230, 200, 120), -1);
        using var skin = new Mat(80, 80, MatType.CV_8UC1, Scalar.All(255));
        Cv2.Rectangle(skin, new Rect(30, 55, 20, 8), Scalar.All(0), -1);
        using var all = new Mat(80, 80, MatType.CV_8UC1, Scalar.All(255));
        using var original = face.Clone();

        ColourTransfer.Apply(face, reference, skin, all);

        using var hsv = face.CvtColor(ColorConversionCodes.BGR2HSV);
        using var cool = new Mat();
        Cv2.InRange(hsv, new Scalar(35, 61, 30), new Scalar(130, 255, 255), cool);
        Assert.Equal(0, Cv2.CountNonZero(cool));
        Assert.NotEqual(Cv2.Mean(original, skin), Cv2.Mean(face, skin));
        // The mean lightness follows the target's skin (mean of both halves), within a few levels.
        double Lightness(Mat bgr) { using var f = new Mat(); bgr.ConvertTo(f, MatType.CV_32FC3, 1 / 255.0); using var lab = f.CvtColor(ColorConversionCodes.BGR2Lab); return Cv2.Mean(lab, skin).Val0; }
        Assert.InRange(Lightness(face), Lightness(reference) - 3, Lightness(reference) + 3);
    }
}
