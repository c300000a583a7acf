using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;

namespace FaceSwap.Local;

/// <summary>
/// InsightFace's inswapper_128 (fp32 or fp16): the target face aligned to 128², the source identity as
/// a latent (normed embedding × emap, re-normalised), the swapped crop pasted back with insightface's
/// eroded and blurred mask.
/// </summary>
public sealed class InSwapper : IDisposable
{
    public const int CropSize = 128;
    private readonly InferenceSession _session;
    private readonly string _target, _source, _output;
    private readonly float[] _emap; // 512×512, row-major
    private readonly object _gate = new();

    public InSwapper(InferenceSession session, string modelPath)
    {
        if (!IsInSwapper(session, out var why)) throw new FaceSwapException(FaceSwapError.ModelInvalid, "Not an inswapper_128-compatible model", why);
        _session = session;
        var inputs = session.InputMetadata;
        _target = inputs.First(p => p.Value.Dimensions.Length == 4).Key;
        _source = inputs.First(p => p.Value.Dimensions.Length == 2).Key;
        _output = session.OutputMetadata.Keys.First();
        OnnxInitializerReader.Tensor emap;
        try { emap = OnnxInitializerReader.ReadLast(modelPath); }
        catch (InvalidDataException e)
        {
            throw new FaceSwapException(FaceSwapError.ModelInvalid, "Not an inswapper_128-compatible model", $"{Path.GetFileName(modelPath)}: its last initializer is not a readable emap ({e.Message})", e);
        }
        if (emap.Dims is not [512, 512])
            throw new FaceSwapException(FaceSwapError.ModelInvalid, "Not an inswapper_128-compatible model",
                $"{Path.GetFileName(modelPath)}: its last initializer '{emap.Name}' has shape [{string.Join(",", emap.Dims)}]; the emap must be [512,512]");
        _emap = emap.Values;
    }

    public static bool IsInSwapper(InferenceSession session, out string reason)
    {
        reason = $"expected inputs target[1,3,128,128] and source[1,512] and output [1,3,128,128]; found inputs {session.InputMetadata.Describe()}, outputs {session.OutputMetadata.Describe()}";
        if (session.InputMetadata.Count != 2 || session.OutputMetadata.Count != 1) return false;
        var dims = session.InputMetadata.Values.Select(v => v.Dimensions).ToArray();
        return dims.Any(d => d is [_, 3, 128, 128]) && dims.Any(d => d is [_, 512])
               && session.OutputMetadata.Single().Value.Dimensions is [_, 3, 128, 128];
    }

    /// <summary>latent = normalise(normedEmbedding · emap): what the model was trained to take.</summary>
    public float[] Latent(float[] normedEmbedding)
    {
        var latent = new float[512];
        for (var i = 0; i < 512; i++)
        {
            var e = normedEmbedding[i];
            if (e == 0) continue;
            var row = _emap.AsSpan(i * 512, 512);
            for (var j = 0; j < 512; j++) latent[j] += e * row[j];
        }
        return ArcFaceEmbedder.Normalise(latent);
    }

    /// <summary>Swaps the identity of the face at <paramref name="targetFivePoints"/> in place; returns the paste mask (CV_8UC1).</summary>
    public Mat SwapInto(Mat image, IReadOnlyList<Point2f> targetFivePoints, float[] sourceEmbedding)
    {
        var (crop, m) = FaceAlignment.Crop(image, targetFivePoints, CropSize);
        using (crop) using (m)
        {
            var blob = Blob.FromBgr(crop, 1 / 255f, 0);
            var latent = new DenseTensor<float>(Latent(sourceEmbedding), [1, 512]);
            using var fake = new Mat(CropSize, CropSize, MatType.CV_8UC3);
            lock (_gate)
            {
                using var results = _session.Run([NamedOnnxValue.CreateFromTensor(_target, blob), NamedOnnxValue.CreateFromTensor(_source, latent)]);
                var pred = results.Output(_output).Buffer.Span;
                Blob.ReadNchw(pred, fake);
            }
            return PasteBack.Apply(image, fake, m);
        }
    }

    public void Dispose() => _session.Dispose();
}

/// <summary>insightface's paste_back: inverse-warp the crop and a white mask, erode, blur, alpha-blend.</summary>
public static class PasteBack
{
    /// <summary>Blends <paramref name="crop"/> (aligned by <paramref name="toCrop"/>) into <paramref name="image"/>; returns the hard mask of changed pixels.</summary>
    public static Mat Apply(Mat image, Mat crop, Mat toCrop)
    {
        using var back = new Mat();
        Cv2.InvertAffineTransform(toCrop, back);
        using var fakeFull = new Mat();
        Cv2.WarpAffine(crop, fakeFull, back, image.Size(), InterpolationFlags.Linear, BorderTypes.Constant, Scalar.All(0));
        using var white = new Mat(crop.Size(), MatType.CV_32FC1, Scalar.All(255));
        using var mask = new Mat();
        Cv2.WarpAffine(white, mask, back, image.Size(), InterpolationFlags.Linear, BorderTypes.Constant, Scalar.All(0));
        Cv2.Threshold(mask, mask, 20, 255, ThresholdTypes.Binary);

        using var hard = new Mat();
        mask.ConvertTo(hard, MatType.CV_8U);
        var bounds = Cv2.BoundingRect(hard);
        var maskSize = (int)Math.Sqrt((double)bounds.Width * bounds.Height);
        var erode = Math.Max(maskSize / 10, 10);
        using (var kernel = new Mat(erode, erode, MatType.CV_8U, Scalar.All(1)))
            Cv2.Erode(mask, mask, kernel);
        var blur = Math.Max(maskSize / 20, 5);
        Cv2.GaussianBlur(mask, mask, new Size(2 * blur + 1, 2 * blur + 1), 0);
        mask.ConvertTo(mask, MatType.CV_32F, 1 / 255.0);

        // Blend only inside the mask's bounding box: outside it the weight is zero and pixels stay as they were.
        var changed = new Mat(image.Size(), MatType.CV_8UC1, Scalar.All(0));
        using var nonZero = new Mat();
        Cv2.Threshold(mask, nonZero, 0, 255, ThresholdTypes.Binary);
        nonZero.ConvertTo(changed, MatType.CV_8U);
        var region = Cv2.BoundingRect(changed);
        if (region.Width == 0) return changed;
        using var alpha = new Mat();
        Cv2.Merge([new Mat(mask, region), new Mat(mask, region), new Mat(mask, region)], alpha);
        using var target = new Mat(image, region);
        using var t = new Mat(); target.ConvertTo(t, MatType.CV_32FC3);
        using var f = new Mat(); new Mat(fakeFull, region).ConvertTo(f, MatType.CV_32FC3);
        using var one = new Mat(alpha.Size(), MatType.CV_32FC3, Scalar.All(1));
        using var blended = new Mat();
        Cv2.Add(f.Mul(alpha), t.Mul(one - alpha), blended);
        using var bytes = new Mat();
        blended.ConvertTo(bytes, MatType.CV_8UC3);
        bytes.CopyTo(target, new Mat(changed, region));
        return changed;
    }
}
