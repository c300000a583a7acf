using OpenCvSharp;

namespace FaceSwap.Local;

/// <summary>
/// Reinhard et al. colour transfer: match the mean and spread of each Lab channel of the pasted face
/// to the target's skin under the same mask, so a face shot under other light does not show as a patch.
/// </summary>
public static class ColourTransfer
{
    public static void Apply(Mat face, Mat reference, Mat mask)
    {
        using var faceLab = ToLab(face);
        using var refLab = ToLab(reference);
        Cv2.MeanStdDev(faceLab, out var faceMean, out var faceStd, mask);
        Cv2.MeanStdDev(refLab, out var refMean, out var refStd, mask);
        var channels = Cv2.Split(faceLab);
        try
        {
            for (var c = 0; c < 3; c++)
            {
                var gain = faceStd[c] > 1e-6 ? refStd[c] / faceStd[c] : 1.0;
                channels[c].ConvertTo(channels[c], MatType.CV_32F, gain, refMean[c] - faceMean[c] * gain);
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
        bgr.ConvertTo(bytes, MatType.CV_8U, 255);
        bytes.CopyTo(face, mask);
    }

    private static Mat ToLab(Mat bgr)
    {
        using var f = new Mat();
        bgr.ConvertTo(f, MatType.CV_32F, 1 / 255.0);
        var lab = new Mat();
        Cv2.CvtColor(f, lab, ColorConversionCodes.BGR2Lab);
        return lab;
    }
}
