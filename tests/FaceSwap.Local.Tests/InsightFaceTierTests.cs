using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;

namespace FaceSwap.Local.Tests;

public sealed class InsightFaceTierTests : IDisposable
{
    private readonly string _dir = InsightFaceDoubles.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Scrfd_decodes_anchors_strides_and_letterbox_scale_and_applies_nms_and_threshold()
    {
        using var session = new InferenceSession(InsightFaceDoubles.Scrfd(_dir));
        using var detector = new ScrfdFaceDetector(session);
        // 1280×960 letterboxes to 640×480: det_scale 0.5, so every coordinate doubles.
        using var image = InsightFaceDoubles.Gray(1280, 960, 90);
        var faces = detector.Detect(image);

        Assert.Equal(2, faces.Count); // the overlapping 0.85 box and the 0.49 score are gone
        var b = faces[0];
        Assert.Equal(0.7f, b.Score, 3);
        Assert.Equal(new Rect2f(64, 64, 128, 128), Round(b.Box));
        var a = faces[1];
        Assert.Equal(0.9f, a.Score, 3);
        Assert.Equal(new Rect2f(560, 384, 192, 224), Round(a.Box));
        // Left eye of face A: centre (320,240) + (−16,−12), doubled.
        Assert.Equal(608, a.FivePoints![0].X, 2);
        Assert.Equal(456, a.FivePoints[0].Y, 2);
        Assert.Equal(520, a.FivePoints[4].Y, 2); // mouth corner: (240 + 20)·2
    }

    private static Rect2f Round(Rect2f r) => new(MathF.Round(r.X), MathF.Round(r.Y), MathF.Round(r.Width), MathF.Round(r.Height));

    [Fact]
    public void ArcFace_feeds_an_rgb_crop_normalised_to_minus_one_one_and_returns_a_unit_vector()
    {
        using var session = new InferenceSession(InsightFaceDoubles.ArcFace(_dir));
        using var arc = new ArcFaceEmbedder(session);
        using var red = new Mat(400, 400, MatType.CV_8UC3, new Scalar(0, 0, 255)); // BGR red
        var five = FaceAlignment.Template(112).Select(p => new Point2f(p.X + 140, p.Y + 140)).ToArray();
        var e = arc.Embed(red, five);

        Assert.Equal(512, e.Length);
        var s = 1 / MathF.Sqrt(3);
        Assert.Equal(s, e[0], 3);   // R = (255 − 127.5)/127.5 = 1 comes first: the crop is RGB
        Assert.Equal(-s, e[1], 3);
        Assert.Equal(-s, e[2], 3);
        Assert.Equal(1f, MathF.Sqrt(e.Sum(v => v * v)), 4);
        // Same crop, same identity: cosine 1.
        var again = arc.Embed(red, five);
        Assert.Equal(1f, e.Zip(again, (x, y) => x * y).Sum(), 5);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Inswapper_reads_the_emap_from_the_last_initializer_fp32_and_fp16(bool fp16)
    {
        var path = InsightFaceDoubles.InSwapper(_dir, fp16 ? "inswapper_128_fp16.onnx" : "inswapper_128.onnx", fp16);
        var emap = OnnxInitializerReader.ReadLast(path);
        Assert.Equal("emap", emap.Name);
        Assert.Equal([512L, 512L], emap.Dims);
        Assert.Equal(InsightFaceDoubles.Emap(), emap.Values);

        using var session = new InferenceSession(path);
        using var swapper = new InSwapper(session, path);
        var embedding = new float[512];
        embedding[3] = 0.6f; embedding[7] = 0.8f;
        var latent = swapper.Latent(embedding);
        // emap moves i to i+1 and doubles it; the latent is normalised again.
        Assert.Equal(0.6f, latent[4], 5);
        Assert.Equal(0.8f, latent[8], 5);
        Assert.Equal(1f, MathF.Sqrt(latent.Sum(v => v * v)), 5);
    }

    [Fact]
    public void Insightface_tier_pastes_the_swapped_crop_on_the_face_and_nowhere_else()
    {
        InsightFaceDoubles.Scrfd(_dir);
        InsightFaceDoubles.ArcFace(_dir);
        InsightFaceDoubles.InSwapper(_dir);
        using var models = InsightFaceDoubles.Load(_dir);
        Assert.Equal(FaceModels.TierInsightFace, models.Capabilities.Tier);
        var pipeline = new FaceSwapPipeline(models);

        using var source = InsightFaceDoubles.Gray(1280, 960, 200);
        var face = pipeline.Capture(source, "source");
        Assert.NotNull(face.Embedding);

        using var target = InsightFaceDoubles.Gray(1280, 960, 100);
        using var changed = pipeline.SwapInto(target, [face], greedy: false, "target");
        // Face A (the larger) is at (560,384)-(752,608); its middle is now inverted: 255 − 100.
        var middle = target.At<Vec3b>(520, 656);
        Assert.InRange(middle.Item0, 150, 160);
        Assert.Equal(new Vec3b(100, 100, 100), target.At<Vec3b>(20, 20));
        Assert.Equal(new Vec3b(100, 100, 100), target.At<Vec3b>(128, 128)); // face B was not asked for
        // Nothing outside the reported mask changed.
        using var diff = new Mat();
        Cv2.Absdiff(target, new Scalar(100, 100, 100), diff);
        using var gray = diff.CvtColor(ColorConversionCodes.BGR2GRAY);
        using var notChanged = new Mat();
        Cv2.BitwiseNot(changed, notChanged);
        using var outside = new Mat();
        Cv2.BitwiseAnd(gray, notChanged, outside);
        Assert.Equal(0, Cv2.CountNonZero(outside));
    }

    [Fact]
    public void Greedy_swaps_every_face_and_too_many_ids_is_a_clear_error()
    {
        InsightFaceDoubles.Scrfd(_dir);
        InsightFaceDoubles.ArcFace(_dir);
        InsightFaceDoubles.InSwapper(_dir);
        using var models = InsightFaceDoubles.Load(_dir);
        var pipeline = new FaceSwapPipeline(models);
        using var source = InsightFaceDoubles.Gray(1280, 960, 200);
        var face = pipeline.Capture(source, "source");

        using var target = InsightFaceDoubles.Gray(1280, 960, 100);
        using (pipeline.SwapInto(target, [face], greedy: true, "target")) { }
        Assert.InRange(target.At<Vec3b>(128, 128).Item0, 150, 160);
        Assert.InRange(target.At<Vec3b>(520, 656).Item0, 150, 160);

        var e = Assert.Throws<FaceSwapException>(() => pipeline.SwapInto(target, [face, face, face], false, "target"));
        Assert.Equal(FaceSwapError.TooManyFacesRequested, e.Kind);
        Assert.Contains("3 faces were asked for", e.Details);
    }

    [SkippableFact]
    public void Without_scrfd_blazeface_boxes_and_dlib_five_points_feed_the_inswapper()
    {
        File.Copy(Fixtures.Require(Fixtures.BlazeFace256), Path.Combine(_dir, "blazeface.onnx"));
        InsightFaceDoubles.ArcFace(_dir);
        InsightFaceDoubles.InSwapper(_dir);
        using var models = FaceModels.Load(new ModelLocations(_dir, Fixtures.Require(Fixtures.ShapePredictor)));
        Assert.Equal(FaceModels.TierInsightFace, models.Capabilities.Tier);
        Assert.Contains("dlib five points", models.Capabilities.Reason);
        var pipeline = new FaceSwapPipeline(models);
        using var source = Fixtures.Read(Fixtures.GroupPhoto(3));
        var face = pipeline.Capture(source, "source");
        using var target = Fixtures.Read(Fixtures.Astronaut);
        using var before = target.Clone();
        using var mask = pipeline.SwapInto(target, [face], false, "target");
        // The fake swapper inverts the aligned crop: the nose pixel is now the inverse of what it was.
        var was = before.At<Vec3b>(120, 225);
        var now = target.At<Vec3b>(120, 225);
        Assert.InRange(now.Item2, 255 - was.Item2 - 12, 255 - was.Item2 + 12);
        Assert.Equal(before.At<Vec3b>(400, 60), target.At<Vec3b>(400, 60));
    }

    [Fact]
    public void Asking_for_cuda_on_a_cpu_build_falls_back_to_cpu_with_a_reason()
    {
        var sessions = new InferenceSessions(preferCuda: true);
        using var session = sessions.Open(InsightFaceDoubles.ArcFace(_dir));
        Assert.True(ArcFaceEmbedder.IsArcFace(session, out _));
        if (!sessions.CudaActive) Assert.False(string.IsNullOrEmpty(sessions.CudaUnavailableReason));
    }

    [Fact]
    public void A_file_whose_signature_does_not_match_its_name_is_rejected_with_what_was_found()
    {
        InsightFaceDoubles.ArcFace(_dir, "inswapper_128.onnx"); // an ArcFace graph under the swapper's name
        File.WriteAllBytes(Path.Combine(_dir, "w600k_r50.onnx"), "not a model"u8.ToArray());
        InsightFaceDoubles.InSwapper(_dir, "det_10g.onnx");     // a swapper graph under the detector's name... still a swapper

        using var models = InsightFaceDoubles.Load(_dir);
        var reports = models.Capabilities.Models.ToDictionary(r => Path.GetFileName(r.Path));

        // The ArcFace graph is recognised by its signature whatever its name, and so is the swapper.
        Assert.True(reports["inswapper_128.onnx"].Accepted);
        Assert.Equal("embedding", reports["inswapper_128.onnx"].Role);
        Assert.True(reports["det_10g.onnx"].Accepted);
        Assert.Equal("swapper", reports["det_10g.onnx"].Role);
        Assert.False(reports["w600k_r50.onnx"].Accepted);
        Assert.Contains("not a loadable ONNX model", reports["w600k_r50.onnx"].Detail);
        Assert.NotEqual(FaceModels.TierInsightFace, models.Capabilities.Tier); // no detector
    }

    [Fact]
    public void A_wrong_graph_under_a_model_name_says_which_model_it_is_not()
    {
        new OnnxGraph().Input("x", 1, 3, 64, 64).Node("Identity", ["x"], ["y"]).Output("y", 1, 3, 64, 64)
            .Save(Path.Combine(_dir, "inswapper_128.onnx"));
        using var models = InsightFaceDoubles.Load(_dir);
        var report = Assert.Single(models.Capabilities.Models, r => r.Path.EndsWith("inswapper_128.onnx"));
        Assert.False(report.Accepted);
        Assert.Contains("is not an inswapper_128-compatible file", report.Detail);
        Assert.Contains("x[1,3,64,64]", report.Detail);

        using var session = new InferenceSession(InsightFaceDoubles.ArcFace(_dir, "arc.onnx"));
        var e = Assert.Throws<FaceSwapException>(() => new InSwapper(session, Path.Combine(_dir, "arc.onnx")));
        Assert.Equal(FaceSwapError.ModelInvalid, e.Kind);
        Assert.Contains("target[1,3,128,128]", e.Details);
    }

    [Fact]
    public void Without_models_the_capabilities_say_why_no_tier_is_active()
    {
        using var models = InsightFaceDoubles.Load(_dir);
        if (File.Exists(ModelLocations.DebianShapePredictor)) return; // a machine with libdlib-data has a tier
        Assert.Equal(FaceModels.TierNone, models.Capabilities.Tier);
        Assert.Contains("face detector", models.Capabilities.Reason);
        Assert.NotEmpty(models.Capabilities.LicenceNotes);
        var e = Assert.Throws<FaceSwapException>(() => new FaceSwapPipeline(models).Analyse(InsightFaceDoubles.Gray(10, 10, 0)));
        Assert.Equal(FaceSwapError.ModelMissing, e.Kind);
    }
}
