using OpenCvSharp;

namespace FaceSwap.Local;

/// <summary>
/// Reinhard et al. colour transfer, made safe: the mean and spread of each Lab channel of the pasted
/// face's skin are matched to the target's skin, in floating point, with bounded gains, and every result is
/// clipped to colours that the source face or the target's skin already has. A face shot under other light then does
/// not show as a patch, and no pixel takes a hue neither face had (the cyan speckles that an unbounded
/// transfer gives white teeth and eyes under a blue cast).
/// </summary>
public static class ColourTransfer
{
    /// <summary>Bounds of the lightness gain: contrast may follow the target's, within reason.</summary>
    public const double MinLightGain = 0.6, MaxLightGain = 1.5;

    /// <summary>The chroma spread is never amplified: amplifying it turns slight tints into vivid colours.</summary>
    public const double MaxChromaGain = 1.0;

    /// <summary>Share of skin pixels at each end left out when taking the range of skin colours (noise, stray hair).</summary>
    public const double RangeTail = 0.01;

    /// <summary>
    /// Recolours <paramref name="face"/> (8-bit BGR) inside <paramref name="apply"/>, from statistics of
    /// <paramref name="face"/> and <paramref name="reference"/> over the same <paramref name="skin"/> pixels;
    /// a and b end within the range of the whole face or of the reference's skin.
    /// </summary>
    public static void Apply(Mat face, Mat reference, Mat skin, Mat apply)
    {
        if (Cv2.CountNonZero(skin) < 16) return;
        using var faceLab = ToLab(face);
        using var refLab = ToLab(reference);
        Cv2.MeanStdDev(faceLab, out var faceMean, out var faceStd, skin);
        Cv2.MeanStdDev(refLab, out var refMean, out var refStd, skin);
        // The source's own colours count whole (its eyes and lips may be bluer or redder than any skin).
        var faceRange = Ranges(faceLab, apply);
        var refRange = Ranges(refLab, skin);
        var channels = Cv2.Split(faceLab);
        try
        {
            for (var c = 0; c < 3; c++)
            {
                var gain = faceStd[c] > 1e-3 ? refStd[c] / faceStd[c] : 1.0;
                gain = c == 0 ? Math.Clamp(gain, MinLightGain, MaxLightGain) : Math.Min(gain, MaxChromaGain);
                // Only colours the source face or the target skin has: the lightness a photo can hold, a and b within their ranges.
                var low = c == 0 ? 0 : Math.Min(faceRange[c].Low, refRange[c].Low);
                var high = c == 0 ? 100 : Math.Max(faceRange[c].High, refRange[c].High);
                // Threshold's truncation is the fast clip (Cv2.Max with a scalar is ~100× slower): the gain is
                // applied negated to clip at the low end, then turned back and clipped at the high end.
                channels[c].ConvertTo(channels[c], MatType.CV_32F, -gain, faceMean[c] * gain - refMean[c]);
                Cv2.Threshold(channels[c], channels[c], -low, 0, ThresholdTypes.Trunc);
                channels[c].ConvertTo(channels[c], MatType.CV_32F, -1);
                Cv2.Threshold(channels[c], channels[c], high, 0, ThresholdTypes.Trunc);
            }
            Cv2.Merge(channels, faceLab);
        }
        finally
        {
            foreach (var ch in channels) ch.Dispose();
        }
        using var bgr = new Mat();
        Cv2.CvtColor(faceLab, bgr, ColorConversionCodes.Lab2BGR);
        using var bytes = new Mat();
        // ConvertTo saturates each channel at 0 and 255, the clip back into the image's gamut.
        bgr.ConvertTo(bytes, MatType.CV_8U, 255);
        bytes.CopyTo(face, apply);
    }

    private static Mat ToLab(Mat bgr)
    {
        using var f = new Mat();
        bgr.ConvertTo(f, MatType.CV_32F, 1 / 255.0);
        var lab = new Mat();
        Cv2.CvtColor(f, lab, ColorConversionCodes.BGR2Lab);
        return lab;
    }

    /// <summary>Per Lab channel, the range of the masked pixels without <see cref="RangeTail"/> at either end (from a 0.5-unit histogram).</summary>
    private static (double Low, double High)[] Ranges(Mat lab, Mat mask)
    {
        const int bins = 512;
        var ranges = new (double, double)[3];
        for (var c = 0; c < 3; c++)
        {
            // L spans 0–100, a and b about ±128.
            float low = c == 0 ? 0 : -128, high = c == 0 ? 100 : 128;
            using var hist = new Mat();
            Cv2.CalcHist([lab], [c], mask, hist, 1, [bins], [new Rangef(low, high)]);
            hist.GetArray(out float[] counts);
            var total = counts.Sum();
            var tail = total * RangeTail;
            var step = (high - low) / bins;
            int from = 0, to = bins - 1;
            for (double seen = 0; from < bins - 1 && (seen += counts[from]) <= tail; from++) { }
            for (double seen = 0; to > 0 && (seen += counts[to]) <= tail; to--) { }
            ranges[c] = (low + from * step, low + (to + 1) * step);
        }
        return ranges;
    }
}
