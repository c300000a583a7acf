using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;

namespace FaceSwap.Local;

/// <summary>ArcFace identity embedding (w600k_r50): 112² aligned RGB crop, (x−127.5)/127.5 → 512 floats.</summary>
public sealed class ArcFaceEmbedder : IDisposable
{
    public const int CropSize = 112;
    private readonly InferenceSession _session;
    private readonly string _input, _output;

    public ArcFaceEmbedder(InferenceSession session)
    {
        if (!IsArcFace(session, out var why)) throw new FaceSwapException(FaceSwapError.ModelInvalid, "Not an ArcFace (w600k_r50-compatible) model", why);
        _session = session;
        _input = session.InputMetadata.Keys.Single();
        _output = session.OutputMetadata.Keys.Single();
    }

    public static bool IsArcFace(InferenceSession session, out string reason)
    {
        reason = $"expected one input [N,3,112,112] and one output [N,512]; found inputs {session.InputMetadata.Describe()}, outputs {session.OutputMetadata.Describe()}";
        if (session.InputMetadata.Count != 1 || session.OutputMetadata.Count != 1) return false;
        var i = session.InputMetadata.Single().Value.Dimensions;
        var o = session.OutputMetadata.Single().Value.Dimensions;
        return i is [_, 3, 112, 112] && o is [_, 512];
    }

    /// <summary>The L2-normalised embedding of the face whose five points are given.</summary>
    public float[] Embed(Mat image, IReadOnlyList<Point2f> fivePoints)
    {
        var (crop, m) = FaceAlignment.Crop(image, fivePoints, CropSize);
        using (crop) using (m)
        {
            var tensor = Blob.FromBgr(crop, 1 / 127.5f, 127.5f);
            using var results = _session.Run([NamedOnnxValue.CreateFromTensor(_input, tensor)]);
            var embedding = results.Output(_output).Buffer.ToArray();
            return Normalise(embedding);
        }
    }

    public static float[] Normalise(float[] v)
    {
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return norm > 0 ? v.Select(x => x / norm).ToArray() : v;
    }

    public void Dispose() => _session.Dispose();
}

/// <summary>cv2.dnn.blobFromImage with swapRB: BGR bytes → RGB floats, (x − mean) · scale.</summary>
internal static class Blob
{
    public static DenseTensor<float> FromBgr(Mat image, float scale, float mean)
    {
        var tensor = new DenseTensor<float>([1, 3, image.Height, image.Width]);
        WriteNchw(image, tensor.Buffer.Span, image.Width, image.Height, scale, mean);
        return tensor;
    }

    /// <summary>Planar RGB into a tensor whose planes are <paramref name="planeWidth"/>×<paramref name="planeHeight"/> (the image sits top-left).</summary>
    public static unsafe void WriteNchw(Mat image, Span<float> tensor, int planeWidth, int planeHeight, float scale, float mean)
    {
        int h = image.Height, w = image.Width, plane = planeWidth * planeHeight;
        var step = image.Step();
        var data = (byte*)image.Data;
        for (var y = 0; y < h; y++)
        {
            var row = data + y * step;
            for (var x = 0; x < w; x++)
            {
                var o = y * planeWidth + x;
                tensor[o] = (row[3 * x + 2] - mean) * scale;
                tensor[plane + o] = (row[3 * x + 1] - mean) * scale;
                tensor[2 * plane + o] = (row[3 * x] - mean) * scale;
            }
        }
    }

    /// <summary>Interleaved RGB (NHWC) into a square tensor of side <paramref name="side"/>.</summary>
    public static unsafe void WriteNhwc(Mat image, Span<float> tensor, int side, float scale, float mean)
    {
        int h = image.Height, w = image.Width;
        var step = image.Step();
        var data = (byte*)image.Data;
        for (var y = 0; y < h; y++)
        {
            var row = data + y * step;
            for (var x = 0; x < w; x++)
            {
                var o = (y * side + x) * 3;
                tensor[o] = (row[3 * x + 2] - mean) * scale;
                tensor[o + 1] = (row[3 * x + 1] - mean) * scale;
                tensor[o + 2] = (row[3 * x] - mean) * scale;
            }
        }
    }

    /// <summary>Planar RGB floats in [0,1] (a model's output) back to BGR bytes.</summary>
    public static unsafe void ReadNchw(ReadOnlySpan<float> tensor, Mat image)
    {
        int h = image.Height, w = image.Width, plane = h * w;
        var step = image.Step();
        var data = (byte*)image.Data;
        for (var y = 0; y < h; y++)
        {
            var row = data + y * step;
            for (var x = 0; x < w; x++)
            {
                var o = y * w + x;
                row[3 * x] = ToByte(tensor[2 * plane + o]);
                row[3 * x + 1] = ToByte(tensor[plane + o]);
                row[3 * x + 2] = ToByte(tensor[o]);
            }
        }
    }

    private static byte ToByte(float v) => (byte)Math.Clamp(v * 255f, 0f, 255f);
}
