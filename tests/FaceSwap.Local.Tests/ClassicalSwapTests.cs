using OpenCvSharp;

namespace FaceSwap.Local.Tests;

public class ClassicalSwapTests
{
    private static LocalFaceSwapper Swapper() => new(new LocalEngineOptions(), Fixtures.Classical());

    [SkippableFact]
    public void Swap_changes_the_face_and_leaves_every_pixel_outside_the_blend_mask_unchanged()
    {
        var models = Fixtures.Classical();
        var pipeline = new FaceSwapPipeline(models);
        using var source = Fixtures.Read(Fixtures.GroupPhoto(3));
        var face = pipeline.Capture(source, "source");
        Assert.NotNull(face.Landmarks68);

        using var target = Fixtures.Read(Fixtures.Astronaut);
        using var before = target.Clone();
        using var mask = pipeline.SwapInto(target, [face], greedy: false, "target");

        using var changedPixels = ChangedPixels(target, before);
        Assert.Equal(0, ChangedOutside(changedPixels, mask));

        // Inside: the mask covers the face (between the eyes and the mouth) and most of it changed.
        Assert.Equal(255, mask.At<byte>(120, 225));
        var maskArea = Cv2.CountNonZero(mask);
        Assert.InRange(maskArea, 5000, 20000);
        using var changedInMask = new Mat();
        Cv2.Threshold(changedPixels, changedInMask, 8, 255, ThresholdTypes.Binary);
        Assert.True(Cv2.CountNonZero(changedInMask) > maskArea / 3, "the face region barely changed");
    }

    [SkippableFact]
    public void A_big_face_is_blended_on_a_scaled_region_and_still_nothing_outside_the_mask_changes()
    {
        var models = Fixtures.Classical();
        var pipeline = new FaceSwapPipeline(models);
        using var source = Fixtures.Read(Fixtures.GroupPhoto(3));
        var face = pipeline.Capture(source, "source");
        using var astronaut = Fixtures.Read(Fixtures.Astronaut);
        using var target = astronaut.Resize(new Size(1536, 1536), 0, 0, InterpolationFlags.Cubic); // face ≈ 350 px > BlendSize
        using var before = target.Clone();
        using var mask = pipeline.SwapInto(target, [face], false, "target");
        using var changed = ChangedPixels(target, before);
        Assert.Equal(0, ChangedOutside(changed, mask));
        Assert.Equal(255, mask.At<byte>(360, 675)); // the nose, scaled ×3
        Assert.True(Cv2.CountNonZero(mask) > 9 * 5000);
    }

    [SkippableFact]
    public async Task Same_inputs_give_identical_bytes_and_the_output_is_labelled()
    {
        using var swapper = Swapper();
        var source = Fixtures.Bytes(Fixtures.GroupPhoto(3));
        var target = Fixtures.Bytes(Fixtures.Astronaut);
        var first = await swapper.SwapAsync(source, target, CancellationToken.None);
        var second = await swapper.SwapAsync(source, target, CancellationToken.None);
        Assert.Equal(first.Content, second.Content);
        Assert.Equal("image/png", first.ContentType);
        Assert.Equal((512, 512), (first.Width, first.Height));
        Assert.True(SyntheticMediaLabel.IsPresent(first.Content));
        Assert.NotEqual(target, first.Content);
    }

    [SkippableFact]
    public async Task A_jpeg_target_comes_back_as_a_labelled_jpeg()
    {
        using var swapper = Swapper();
        var result = await swapper.SwapAsync(Fixtures.Bytes(Fixtures.Astronaut), Fixtures.Bytes(Fixtures.GroupPhoto(2)), CancellationToken.None);
        Assert.Equal("image/jpeg", result.ContentType);
        Assert.True(SyntheticMediaLabel.IsPresent(result.Content));
        using var decoded = Cv2.ImDecode(result.Content, ImreadModes.Color);
        Assert.Equal(result.Width, decoded.Width);
    }

    [SkippableFact]
    public void Colour_transfer_brings_the_pasted_face_closer_to_the_target_skin()
    {
        var models = Fixtures.Classical();
        using var source = Fixtures.Read(Fixtures.GroupPhoto(3));
        var face = new FaceSwapPipeline(models).Capture(source, "source");
        double MeanError(bool colours)
        {
            using var target = Fixtures.Read(Fixtures.Astronaut);
            using var original = target.Clone();
            var pipeline = new FaceSwapPipeline(models) { Classical = new ClassicalFaceSwapper { MatchColours = colours } };
            using var mask = pipeline.SwapInto(target, [face], false, "target");
            // Compare the ring just inside the mask border, where a colour mismatch shows as a seam.
            using var inner = new Mat();
            Cv2.Erode(mask, inner, Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(15, 15)));
            using var ring = new Mat();
            Cv2.Subtract(mask, inner, ring);
            using var a = new Mat(); using var b = new Mat();
            target.ConvertTo(a, MatType.CV_32FC3, 1 / 255.0); original.ConvertTo(b, MatType.CV_32FC3, 1 / 255.0);
            using var la = a.CvtColor(ColorConversionCodes.BGR2Lab); using var lb = b.CvtColor(ColorConversionCodes.BGR2Lab);
            using var d = new Mat();
            Cv2.Absdiff(la, lb, d);
            var m = Cv2.Mean(d, ring);
            return m.Val0 + m.Val1 + m.Val2;
        }
        Assert.True(MeanError(true) <= MeanError(false) + 0.5);
    }

    [SkippableFact]
    public async Task Gif_targets_are_swapped_frame_by_frame()
    {
        using var swapper = Swapper();
        using var astronaut = Fixtures.Read(Fixtures.Astronaut);
        using var small = astronaut.Resize(new Size(256, 256));
        using var shifted = new Mat();
        Cv2.WarpAffine(small, shifted, Mat.Eye(2, 3, MatType.CV_64F).ToMat() + new Scalar(0), small.Size());
        var path = Path.Combine(Path.GetTempPath(), $"faceswap-test-{Guid.NewGuid():N}.gif");
        Cv2.ImWrite(path, new[] { small, shifted, small });
        var gif = await File.ReadAllBytesAsync(path);
        File.Delete(path);
        Assert.Equal(3, ImageHeader.TryRead(gif)!.FrameCount);

        var result = await swapper.SwapIntoAsync(gif, [await swapper.CaptureAsync(Fixtures.Bytes(Fixtures.GroupPhoto(3)), "source", default)], false, "target", default);
        Assert.Equal("image/gif", result.ContentType);
        Assert.True(SyntheticMediaLabel.IsPresent(result.Content));
        Assert.Equal(3, ImageHeader.TryRead(result.Content)!.FrameCount);
        Assert.NotEqual(gif, result.Content);
    }

    [SkippableFact]
    public async Task Mixing_two_saved_faces_gives_one_face_that_still_swaps()
    {
        using var swapper = Swapper();
        var a = (await swapper.CaptureAsync(Fixtures.Bytes(Fixtures.GroupPhoto(3)), "a", default)).WithName("a");
        var b = (await swapper.CaptureAsync(Fixtures.Bytes(Fixtures.Astronaut), "b", default)).WithName("b");
        var mixed = swapper.Pipeline.Mix([a, b]);
        Assert.Equal("a+b", mixed.Name);
        Assert.NotEqual(a.AlignedFacePng, mixed.AlignedFacePng);
        var result = await swapper.SwapIntoAsync(Fixtures.Bytes(Fixtures.Astronaut), [mixed], false, "target", default);
        Assert.True(SyntheticMediaLabel.IsPresent(result.Content));
    }

    /// <summary>Where the swap changed the image: a grey map of per-pixel differences.</summary>
    private static Mat ChangedPixels(Mat after, Mat before)
    {
        using var diff = new Mat();
        Cv2.Absdiff(after, before, diff);
        return diff.CvtColor(ColorConversionCodes.BGR2GRAY);
    }

    /// <summary>How many pixels changed outside the blend mask (the swap promises none).</summary>
    private static int ChangedOutside(Mat changed, Mat mask)
    {
        using var notMask = new Mat();
        Cv2.BitwiseNot(mask, notMask);
        using var outside = new Mat();
        Cv2.BitwiseAnd(changed, notMask, outside);
        return Cv2.CountNonZero(outside);
    }
}
