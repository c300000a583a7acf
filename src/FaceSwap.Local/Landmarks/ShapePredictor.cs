using OpenCvSharp;

namespace FaceSwap.Local;

/// <summary>A face box the way dlib's detector draws it: inclusive corners.</summary>
public readonly record struct DlibBox(int Left, int Top, int Right, int Bottom)
{
    public static DlibBox FromRect(Rect r) => new(r.Left, r.Top, r.Right - 1, r.Bottom - 1);
}

/// <summary>
/// dlib's shape_predictor (Kazemi–Sullivan ensemble of regression trees) read from its .dat file and
/// run in managed code: the 68-point model ships in Debian's libdlib-data and there is no dlib binding
/// on NuGet. Written from the format and algorithm in dlib's headers (shape_predictor.h).
/// </summary>
public sealed class ShapePredictor
{
    private sealed class Tree(int[] left, int[] right, float[] thresh, float[] leaves)
    {
        public readonly int[] Idx1 = left, Idx2 = right;
        public readonly float[] Thresh = thresh;
        public readonly float[] Leaves = leaves; // leafCount × shape length
    }

    private sealed class Cascade(Tree[] trees, int[] anchors, float[] deltas)
    {
        public readonly Tree[] Trees = trees;
        public readonly int[] Anchors = anchors;
        public readonly float[] Deltas = deltas; // (dx, dy) per feature pixel, in normalised shape units
    }

    private readonly float[] _initialShape;
    private readonly Cascade[] _cascades;

    private ShapePredictor(float[] initialShape, Cascade[] cascades)
    {
        _initialShape = initialShape;
        _cascades = cascades;
    }

    public int PointCount => _initialShape.Length / 2;
    public int CascadeCount => _cascades.Length;

    /// <summary>The mean shape in box-normalised coordinates ((0,0) top-left, (1,1) bottom-right).</summary>
    public ReadOnlySpan<float> InitialShape => _initialShape;

    public static ShapePredictor Load(string path)
    {
        using var file = File.OpenRead(path);
        return Read(file);
    }

    public static ShapePredictor Read(Stream stream)
    {
        var r = new DlibStreamReader(stream);
        var version = r.ReadInt();
        if (version != 1) throw new InvalidDataException($"not a dlib shape_predictor file (version {version}, expected 1)");
        var initial = r.ReadColumnVector();
        if (initial.Length is 0 || initial.Length % 2 != 0) throw new InvalidDataException("shape_predictor has an odd initial shape");

        var forests = new Tree[r.ReadCount("cascade")][];
        for (var c = 0; c < forests.Length; c++)
        {
            forests[c] = new Tree[r.ReadCount("tree")];
            for (var t = 0; t < forests[c].Length; t++)
            {
                var splits = r.ReadCount("split");
                int[] idx1 = new int[splits], idx2 = new int[splits];
                var thresh = new float[splits];
                for (var s = 0; s < splits; s++)
                {
                    idx1[s] = (int)r.ReadInt();
                    idx2[s] = (int)r.ReadInt();
                    thresh[s] = r.ReadFloat();
                }
                var leafCount = r.ReadCount("leaf");
                if (leafCount != splits + 1) throw new InvalidDataException("shape_predictor tree is not complete");
                var leaves = new float[leafCount * initial.Length];
                for (var l = 0; l < leafCount; l++)
                {
                    var leaf = r.ReadColumnVector();
                    if (leaf.Length != initial.Length) throw new InvalidDataException("shape_predictor leaf has the wrong size");
                    leaf.CopyTo(leaves, l * initial.Length);
                }
                forests[c][t] = new Tree(idx1, idx2, thresh, leaves);
            }
        }

        var anchors = new int[r.ReadCount("anchor list")][];
        for (var c = 0; c < anchors.Length; c++)
        {
            anchors[c] = new int[r.ReadCount("anchor")];
            for (var i = 0; i < anchors[c].Length; i++) anchors[c][i] = (int)r.ReadInt();
        }
        var deltas = new float[r.ReadCount("delta list")][];
        for (var c = 0; c < deltas.Length; c++)
        {
            deltas[c] = new float[2 * r.ReadCount("delta")];
            for (var i = 0; i < deltas[c].Length; i++) deltas[c][i] = r.ReadFloat();
        }
        if (anchors.Length != forests.Length || deltas.Length != forests.Length)
            throw new InvalidDataException("shape_predictor cascade tables disagree in length");

        return new ShapePredictor(initial, forests.Select((f, c) => new Cascade(f, anchors[c], deltas[c])).ToArray());
    }

    /// <summary>
    /// Runs the cascade inside <paramref name="box"/> on an 8-bit BGR (or gray) image and returns the
    /// points in image coordinates (not rounded; dlib itself rounds them to integers).
    /// </summary>
    public Point2f[] Predict(Mat image, DlibBox box)
    {
        if (image.Type() != MatType.CV_8UC3 && image.Type() != MatType.CV_8UC1)
            throw new ArgumentException("expected an 8-bit BGR or gray image", nameof(image));
        var shape = (float[])_initialShape.Clone();
        var n = shape.Length / 2;
        // unnormalising transform of dlib: (0,0) → top-left corner, (1,1) → bottom-right corner (inclusive).
        double sx = box.Right - box.Left, sy = box.Bottom - box.Top;
        var features = new float[_cascades.Max(c => c.Anchors.Length)];

        foreach (var cascade in _cascades)
        {
            var (a, b) = Similarity.FitRotationScale(_initialShape, shape);
            SampleFeatures(image, box, sx, sy, shape, cascade, (float)a, (float)b, features);
            foreach (var tree in cascade.Trees)
            {
                var i = 0;
                while (i < tree.Idx1.Length)
                    i = features[tree.Idx1[i]] - features[tree.Idx2[i]] > tree.Thresh[i] ? 2 * i + 1 : 2 * i + 2;
                var leaf = tree.Leaves.AsSpan((i - tree.Idx1.Length) * shape.Length, shape.Length);
                for (var k = 0; k < shape.Length; k++) shape[k] += leaf[k];
            }
        }

        var points = new Point2f[n];
        for (var k = 0; k < n; k++)
            points[k] = new Point2f((float)(box.Left + sx * shape[2 * k]), (float)(box.Top + sy * shape[2 * k + 1]));
        return points;
    }

    private static unsafe void SampleFeatures(Mat image, DlibBox box, double sx, double sy, float[] shape, Cascade cascade,
        float a, float b, float[] features)
    {
        var channels = image.Channels();
        var data = (byte*)image.Data;
        var step = image.Step();
        int width = image.Width, height = image.Height;
        for (var i = 0; i < cascade.Anchors.Length; i++)
        {
            float dx = cascade.Deltas[2 * i], dy = cascade.Deltas[2 * i + 1];
            var anchor = cascade.Anchors[i];
            // The delta is expressed in the mean shape's frame; rotate/scale it into the current shape's.
            var nx = a * dx - b * dy + shape[2 * anchor];
            var ny = b * dx + a * dy + shape[2 * anchor + 1];
            var x = (long)Math.Floor(box.Left + sx * nx + 0.5);
            var y = (long)Math.Floor(box.Top + sy * ny + 0.5);
            if (x < 0 || y < 0 || x >= width || y >= height)
            {
                features[i] = 0;
                continue;
            }
            var p = data + y * step + x * channels;
            // dlib's intensity of an RGB pixel is the integer mean of its channels, not luma.
            features[i] = channels == 1 ? p[0] : (p[0] + p[1] + p[2]) / 3;
        }
    }
}
