using OpenCvSharp;

namespace FaceSwap.Local;

/// <summary>
/// Reinhard et al. colour transfer, made safe: the mean and spread of each Lab channel of the pasted
/// face's skin are matched to the target's skin, in floating point, with bounded gains, and every result is
/// clipped to colours that one of the two faces' skin already has. A face shot under other light then does
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
    /// <paramref name="face"/> and <paramref name="reference"/> over the same <paramref name="skin"/> pixels.
    /// </summary>
    public static void Apply(Mat face, Mat reference, Mat skin, Mat apply)
    {
        if (Cv2.CountNonZero(skin) < 16) return;
        using var faceLab = ToLab(face);
        using var refLab = ToLab(reference);
        Cv2.MeanStdDev(faceLab, out var faceMean, out var faceStd, skin);
        Cv2.MeanStdDev(refLab, out var refMean, out var refStd, skin);
        var faceRange = Ranges(faceLab, skin);
        var refRange = Ranges(refLab, skin);
        var channels = Cv2.Split(faceLab);
        try
        {
            for (var c = 0; c < 3; c++)
            {
                var gain = faceStd[c] > 1e-3 ? refStd[c] / faceStd[c] : 1.0;
                gain = c == 0 ? Math.Clamp(gain, MinLightGain, MaxLightGain) : Math.Min(gain, MaxChromaGain);
                channels[c].ConvertTo(channels[c], MatType.CV_32F, gain, refMean[c] - faceMean[c] * gain);
                // Only colours one of the two skins has: the lightness a photo can hold, a and b within the skins' ranges.
                var low = c == 0 ? 0 : Math.Min(faceRange[c].Low, refRange[c].Low);
                var high = c == 0 ? 100 : Math.Max(faceRange[c].High, refRange[c].High);
                Cv2.Max(channels[c], low, channels[c]);
                Cv2.Min(channels[c], high, channels[c]);
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

    /// <summary>Per Lab channel, the range of the masked pixels without <see cref="RangeTail"/> at either end.</summary>
    private static (double Low, double High)[] Ranges(Mat lab, Mat mask)
    {
        var ranges = new (double, double)[3];
        using var points = new Mat();
        Cv2.FindNonZero(mask, points);
        points.GetArray(out Point[] where);
        var values = new float[where.Length];
        for (var c = 0; c < 3; c++)
        {
            for (var i = 0; i < where.Length; i++) values[i] = lab.At<Vec3f>(where[i].Y, where[i].X)[c];
            Array.Sort(values);
            var tail = (int)(values.Length * RangeTail);
            ranges[c] = (values[tail], values[values.Length - 1 - tail]);
        }
        return ranges;
    }
}
