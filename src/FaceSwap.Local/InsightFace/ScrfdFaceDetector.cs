using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;

namespace FaceSwap.Local;

/// <summary>
/// InsightFace's SCRFD detector (det_10g): letterboxed to 640², anchor-free distances per stride with
/// two anchors per cell, greedy NMS at 0.4 with the "+1" area convention, five keypoints per face.
/// </summary>
public sealed class ScrfdFaceDetector : IFaceDetector, IDisposable
{
    private static readonly int[] Strides = [8, 16, 32];
    private const int AnchorsPerCell = 2;

    private readonly InferenceSession _session;
    private readonly string _input;
    private readonly string[] _outputs;
    private readonly int _width, _height;

    public string Name => "scrfd";
    public float ScoreThreshold { get; init; } = 0.5f;
    public float IoUThreshold { get; init; } = 0.4f;

    public ScrfdFaceDetector(InferenceSession session)
    {
        if (!IsScrfd(session, out var why)) throw new FaceSwapException(FaceSwapError.ModelInvalid, "Not an SCRFD (det_10g-compatible) model", why);
        _session = session;
        var input = session.InputMetadata.Single();
        _input = input.Key;
        _height = input.Value.Dimensions[2] > 0 ? input.Value.Dimensions[2] : 640;
        _width = input.Value.Dimensions[3] > 0 ? input.Value.Dimensions[3] : 640;
        _outputs = session.OutputMetadata.Keys.ToArray();
    }

    public static bool IsScrfd(InferenceSession session, out string reason)
    {
        var inputs = session.InputMetadata;
        var outputs = session.OutputMetadata.Values.ToArray();
        reason = $"expected one input [1,3,H,W] and 9 outputs (scores [N,1]×3, boxes [N,4]×3, keypoints [N,10]×3); found inputs {inputs.Describe()}, outputs {session.OutputMetadata.Describe()}";
        if (inputs.Count != 1 || outputs.Length != 9) return false;
        var d = inputs.Single().Value.Dimensions;
        if (d.Length != 4 || d[1] != 3) return false;
        int[] lastDims = [1, 1, 1, 4, 4, 4, 10, 10, 10];
        return outputs.Select((o, i) => o.Dimensions.Length is 2 or 3 && o.Dimensions[^1] == lastDims[i]).All(ok => ok);
    }

    public IReadOnlyList<DetectedFace> Detect(Mat image)
    {
        // insightface's letterbox: fit inside W×H keeping the aspect ratio, paste at the top-left.
        var imageRatio = (double)image.Height / image.Width;
        var modelRatio = (double)_height / _width;
        int newW, newH;
        if (imageRatio > modelRatio) { newH = _height; newW = (int)(newH / imageRatio); }
        else { newW = _width; newH = (int)(newW * imageRatio); }
        var detScale = (float)newH / image.Height;

        var tensor = new DenseTensor<float>([1, 3, _height, _width]);
        var span = tensor.Buffer.Span;
        span.Fill((0 - 127.5f) / 128f);
        using (var resized = image.Resize(new Size(Math.Max(1, newW), Math.Max(1, newH))))
        {
            Blob.WriteNchw(resized, span, _width, _height, 1 / 128f, 127.5f);
        }

        var candidates = new List<DetectedFace>();
        using (var results = _session.Run([NamedOnnxValue.CreateFromTensor(_input, tensor)]))
        {
            for (var level = 0; level < Strides.Length; level++)
            {
                var stride = Strides[level];
                var scores = results.Output(_outputs[level]).Buffer.Span;
                var boxes = results.Output(_outputs[level + 3]).Buffer.Span;
                var kps = results.Output(_outputs[level + 6]).Buffer.Span;
                int cols = _width / stride, rows = _height / stride;
                var count = Math.Min(scores.Length, rows * cols * AnchorsPerCell);
                for (var i = 0; i < count; i++)
                {
                    if (scores[i] < ScoreThreshold) continue;
                    var cell = i / AnchorsPerCell; // each centre repeated for both anchors
                    float cx = cell % cols * stride, cy = cell / cols * stride;
                    var b = boxes.Slice(4 * i, 4);
                    float x1 = (cx - b[0] * stride) / detScale, y1 = (cy - b[1] * stride) / detScale;
                    float x2 = (cx + b[2] * stride) / detScale, y2 = (cy + b[3] * stride) / detScale;
                    var k = kps.Slice(10 * i, 10);
                    var five = new Point2f[5];
                    for (var j = 0; j < 5; j++) five[j] = new Point2f((cx + k[2 * j] * stride) / detScale, (cy + k[2 * j + 1] * stride) / detScale);
                    candidates.Add(new DetectedFace(new Rect2f(x1, y1, x2 - x1, y2 - y1), scores[i], five, five));
                }
            }
        }
        return Suppress(candidates).OrderBy(f => f.Box.X).ToList();
    }

    /// <summary>insightface's nms(): IoU with inclusive pixel areas, keep while IoU ≤ threshold.</summary>
    private List<DetectedFace> Suppress(List<DetectedFace> faces)
    {
        static float Area(Rect2f r) => (r.Width + 1) * (r.Height + 1);
        var kept = new List<DetectedFace>();
        foreach (var f in faces.OrderByDescending(f => f.Score))
        {
            var keep = true;
            foreach (var k in kept)
            {
                var w = Math.Max(0, Math.Min(k.Box.Right, f.Box.Right) - Math.Max(k.Box.Left, f.Box.Left) + 1);
                var h = Math.Max(0, Math.Min(k.Box.Bottom, f.Box.Bottom) - Math.Max(k.Box.Top, f.Box.Top) + 1);
                var inter = w * h;
                if (inter / (Area(k.Box) + Area(f.Box) - inter) > IoUThreshold) { keep = false; break; }
            }
            if (keep) kept.Add(f);
        }
        return kept;
    }

    public void Dispose() => _session.Dispose();
}
