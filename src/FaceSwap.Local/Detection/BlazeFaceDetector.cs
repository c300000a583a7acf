using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;

namespace FaceSwap.Local;

/// <summary>
/// MediaPipe BlazeFace (the full-range 256 or short-range 128 model as ONNX, NHWC RGB in [−1,1]).
/// The model predicts offsets from a fixed grid of anchors; decoding rebuilds that grid.
/// </summary>
public sealed class BlazeFaceDetector : IFaceDetector, IDisposable
{
    private readonly InferenceSession _session;
    private readonly string _input;
    private readonly int _size;
    private readonly (string Scores, string Boxes, Point2f[] Anchors)[] _heads;
    private readonly object _gate = new();

    public string Name => "blazeface";
    public float ScoreThreshold { get; init; } = 0.75f;
    public float IoUThreshold { get; init; } = 0.3f;

    public BlazeFaceDetector(InferenceSession session)
    {
        _session = session;
        if (!IsBlazeFace(session, out var why)) throw new FaceSwapException(FaceSwapError.ModelInvalid, "Not a BlazeFace model", why);
        var input = session.InputMetadata.Single();
        _input = input.Key;
        _size = input.Value.Dimensions[1];
        var outputs = session.OutputMetadata.ToList();
        // 256 model: 16×16 cells × 2 anchors and 8×8 × 6; 128 model: 16×16 × 2 and 8×8 × 6 as well,
        // in both cases told apart by the anchor count of each head.
        _heads = outputs.Where(o => o.Value.Dimensions[^1] == 1).Select(s =>
        {
            var count = s.Value.Dimensions[1];
            var boxes = outputs.First(o => o.Value.Dimensions[^1] == 16 && o.Value.Dimensions[1] == count).Key;
            var anchors = count switch
            {
                512 => Grid(16, 2),
                384 => Grid(8, 6),
                896 when _size == 128 => Grid(16, 2).Concat(Grid(8, 6)).ToArray(),
                _ => throw new FaceSwapException(FaceSwapError.ModelInvalid, "Unknown BlazeFace head", $"BlazeFace output {s.Key} has {count} anchors"),
            };
            return (s.Key, boxes, anchors);
        }).ToArray();
    }

    public static bool IsBlazeFace(InferenceSession session, out string reason)
    {
        var inputs = session.InputMetadata;
        var outputs = session.OutputMetadata;
        reason = $"expected one NHWC input [1,S,S,3] and score/box outputs [1,N,1]/[1,N,16]; found inputs {inputs.Describe()}, outputs {outputs.Describe()}";
        if (inputs.Count != 1) return false;
        var d = inputs.Single().Value.Dimensions;
        if (d.Length != 4 || d[3] != 3 || d[1] != d[2] || d[1] is not (128 or 256)) return false;
        if (outputs.Count is < 2 or > 4) return false;
        return outputs.All(o => o.Value.Dimensions.Length == 3 && o.Value.Dimensions[^1] is 1 or 16);
    }

    private static Point2f[] Grid(int cells, int perCell)
    {
        var anchors = new Point2f[cells * cells * perCell];
        var i = 0;
        for (var y = 0; y < cells; y++)
            for (var x = 0; x < cells; x++)
                for (var a = 0; a < perCell; a++)
                    anchors[i++] = new Point2f((x + 0.5f) / cells, (y + 0.5f) / cells);
        return anchors;
    }

    public IReadOnlyList<DetectedFace> Detect(Mat image)
    {
        // Letterbox: scale the longer side to the model size, pad right/bottom, so boxes map back by one factor.
        var scale = (float)_size / Math.Max(image.Width, image.Height);
        var tensor = new DenseTensor<float>([1, _size, _size, 3]);
        using (var resized = image.Resize(new Size(Math.Max(1, (int)Math.Round(image.Width * scale)), Math.Max(1, (int)Math.Round(image.Height * scale))), 0, 0, InterpolationFlags.Area))
        {
            var span = tensor.Buffer.Span;
            span.Fill(-1f);
            Blob.WriteNhwc(resized, span, _size, 1 / 127.5f, 127.5f);
        }

        var found = new List<DetectedFace>();
        lock (_gate) // one Run at a time keeps the two cores for the rest of the pipeline
        {
            using var results = _session.Run([NamedOnnxValue.CreateFromTensor(_input, tensor)]);
            foreach (var (scoresName, boxesName, anchors) in _heads)
            {
                var scores = results.Output(scoresName).Buffer.Span;
                var boxes = results.Output(boxesName).Buffer.Span;
                for (var i = 0; i < anchors.Length; i++)
                {
                    var score = 1f / (1f + MathF.Exp(-Math.Clamp(scores[i], -100f, 100f)));
                    if (score < ScoreThreshold) continue;
                    var b = boxes.Slice(i * 16, 16);
                    var toImage = _size / scale;
                    float cx = anchors[i].X + b[0] / _size, cy = anchors[i].Y + b[1] / _size;
                    float w = b[2] / _size, h = b[3] / _size;
                    var keypoints = new Point2f[6];
                    for (var k = 0; k < 6; k++)
                        keypoints[k] = new Point2f((anchors[i].X + b[4 + 2 * k] / _size) * toImage, (anchors[i].Y + b[5 + 2 * k] / _size) * toImage);
                    var box = new Rect2f((cx - w / 2) * toImage, (cy - h / 2) * toImage, w * toImage, h * toImage);
                    if (box.Width < 4 || box.Height < 4) continue;
                    found.Add(new DetectedFace(box, score, keypoints));
                }
            }
        }
        return DetectedFace.Suppress(found, IoUThreshold).OrderBy(f => f.Box.X).ToList();
    }

    public void Dispose() => _session.Dispose();
}
