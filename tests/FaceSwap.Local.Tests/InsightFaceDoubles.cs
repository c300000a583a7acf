using OpenCvSharp;

namespace FaceSwap.Local.Tests;

/// <summary>
/// Test doubles of det_10g, w600k_r50 and inswapper_128 with their real I/O names and shapes
/// (research note section D3). The fake detector answers the same faces for every image.
/// </summary>
internal static class InsightFaceDoubles
{
    // Face A: stride 8, cell (40, 30) → centre (320, 240) in the 640² detector frame, second anchor of the cell.
    public const int FaceAIndex = (30 * 80 + 40) * 2 + 1;
    // Face B: stride 32, cell (2, 2) → centre (64, 64).
    public const int FaceBIndex = (2 * 20 + 2) * 2;

    /// <summary>Five points around a centre, in stride units (left eye, right eye, nose, mouth corners).</summary>
    private static readonly float[] KpsPixels = [-16, -12, 16, -12, 0, 4, -12, 20, 12, 20];

    public static string Scrfd(string dir, string file = "det_10g.onnx")
    {
        int[] strides = [8, 16, 32];
        int[] counts = [12800, 3200, 800];
        var scores = counts.Select(n => new float[n]).ToArray();
        var boxes = counts.Select(n => new float[n * 4]).ToArray();
        var kps = counts.Select(n => new float[n * 10]).ToArray();

        void Put(int level, int index, float score, float[] dist, float kpsScale)
        {
            scores[level][index] = score;
            dist.CopyTo(boxes[level], index * 4);
            for (var k = 0; k < 10; k++) kps[level][index * 10 + k] = KpsPixels[k] * kpsScale / strides[level];
        }
        Put(0, FaceAIndex, 0.9f, [5, 6, 7, 8], 1f);          // box (280,192)-(376,304) in the detector frame
        Put(0, FaceAIndex - 1, 0.85f, [5, 6, 7, 7], 1f);     // same cell, IoU > 0.4: removed by NMS
        Put(0, 100, 0.49f, [2, 2, 2, 2], 1f);                // below the 0.5 threshold: dropped
        Put(2, FaceBIndex, 0.7f, [1, 1, 1, 1], 0.5f);        // box (32,32)-(96,96)

        var g = new OnnxGraph().Input("input.1", 1, 3, "h", "w");
        string[] names = ["448", "471", "494", "451", "474", "497", "454", "477", "500"];
        for (var i = 0; i < 9; i++)
        {
            var level = i % 3;
            var (data, width) = (i / 3) switch { 0 => (scores[level], 1), 1 => (boxes[level], 4), _ => (kps[level], 10) };
            g.Initializer("c" + names[i], [counts[level], width], data);
            g.Node("Identity", ["c" + names[i]], [names[i]]);
            g.Output(names[i], counts[level], width);
        }
        return g.Save(Path.Combine(dir, file));
    }

    /// <summary>embedding = per-channel mean of the RGB crop: (R, G, B, 0, …).</summary>
    public static string ArcFace(string dir, string file = "w600k_r50.onnx")
    {
        var w = new float[3 * 512];
        w[0] = 1; w[512 + 1] = 1; w[1024 + 2] = 1;
        return new OnnxGraph()
            .Input("input.1", "N", 3, 112, 112)
            .Initializer("w", [3, 512], w)
            .Node("GlobalAveragePool", ["input.1"], ["pooled"])
            .Node("Flatten", ["pooled"], ["flat"], ("axis", 1))
            .Node("MatMul", ["flat", "w"], ["683"])
            .Output("683", "N", 512)
            .Save(Path.Combine(dir, file));
    }

    public static float[] Emap()
    {
        var emap = new float[512 * 512];
        for (var i = 0; i < 512; i++) emap[i * 512 + (i + 1) % 512] = 2f; // a scaled permutation: easy to check
        return emap;
    }

    /// <summary>output = 1 − target: the swapped region comes back inverted. The emap is the last initializer.</summary>
    public static string InSwapper(string dir, string file = "inswapper_128.onnx", bool fp16 = false) =>
        new OnnxGraph()
            .Input("target", 1, 3, 128, 128)
            .Input("source", 1, 512)
            .Initializer("one", [1], [1f])
            .Initializer("unused", [4], [1, 2, 3, 4])
            .Initializer("emap", [512, 512], Emap(), fp16)
            .Node("Sub", ["one", "target"], ["output"])
            .Output("output", 1, 3, 128, 128)
            .Save(Path.Combine(dir, file));

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "faceswap-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static FaceModels Load(string dir) =>
        FaceModels.Load(new ModelLocations(dir, ShapePredictorPath: Path.Combine(dir, "absent.dat"), CascadesDir: dir));

    public static Mat Gray(int width, int height, byte value) => new(height, width, MatType.CV_8UC3, Scalar.All(value));
}
