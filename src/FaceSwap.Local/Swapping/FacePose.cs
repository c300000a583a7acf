using OpenCvSharp;

namespace FaceSwap.Local;

/// <summary>
/// How far a face is turned, read from its 68 landmarks: where the nose tip sits between the two jaw
/// ends, measured along the eye axis (so a tilted head does not count as turned). −1 and +1 are full
/// profiles, 0 is frontal; positive means the nose points to the image's right.
/// </summary>
public static class FacePose
{
    public static double Yaw(IReadOnlyList<Point2f> l)
    {
        var axisX = l[45].X - l[36].X;
        var axisY = l[45].Y - l[36].Y;
        var norm = Math.Sqrt(axisX * axisX + axisY * axisY);
        if (norm < 1e-6) return 0;
        axisX /= (float)norm; axisY /= (float)norm;
        double Along(Point2f p) => p.X * axisX + p.Y * axisY;
        var left = Along(l[30]) - Along(l[0]);
        var right = Along(l[16]) - Along(l[30]);
        var span = left + right;
        return span <= 1e-6 ? 0 : Math.Clamp((left - right) / span, -1, 1);
    }

    /// <summary>Index of each of the 68 points in the mirrored face (left eye ↔ right eye and so on).</summary>
    public static readonly int[] Mirror68 = BuildMirror();

    private static int[] BuildMirror()
    {
        var m = Enumerable.Range(0, 68).ToArray();
        void Swap(int a, int b) { m[a] = b; m[b] = a; }
        for (var i = 0; i <= 7; i++) Swap(i, 16 - i);          // jaw
        for (var i = 0; i <= 4; i++) Swap(17 + i, 26 - i);     // brows
        Swap(31, 35); Swap(32, 34);                            // nostrils
        Swap(36, 45); Swap(37, 44); Swap(38, 43); Swap(39, 42); Swap(40, 47); Swap(41, 46); // eyes
        Swap(48, 54); Swap(49, 53); Swap(50, 52); Swap(55, 59); Swap(56, 58);             // outer lips
        Swap(60, 64); Swap(61, 63); Swap(65, 67);                                          // inner lips
        return m;
    }
}

/// <summary>What the classical swap does with a pair of poses: warp as is, mirror the source first, or refuse.</summary>
public sealed record PosePlan(double SourceYaw, double TargetYaw, bool MirrorSource, bool Refuse, string? Reason);

public static class PoseCheck
{
    /// <summary>
    /// Beyond this yaw difference (after mirroring, when that helps) a 2-D warp has to stretch a side of
    /// the face the source never showed into view, or squeeze a visible one into a sliver: the result is
    /// refused rather than delivered folded. Chosen from the measurements in docs/local-engine-quality.md.
    /// </summary>
    public const double MaxYawDifference = 0.6;

    /// <summary>Mirroring must gain at least this much, so a frontal source is not flipped for noise.</summary>
    public const double MirrorGain = 0.1;

    public static PosePlan Plan(IReadOnlyList<Point2f> source, IReadOnlyList<Point2f> target)
    {
        var s = FacePose.Yaw(source);
        var t = FacePose.Yaw(target);
        var mirror = Math.Abs(t + s) + MirrorGain < Math.Abs(t - s);
        var difference = Math.Abs(t - (mirror ? -s : s));
        if (difference > MaxYawDifference)
            return new PosePlan(s, t, mirror, true,
                $"The face in the target is turned too far from the saved face for the classical swap (yaw {t:+0.00;-0.00} vs {(mirror ? -s : s):+0.00;-0.00}, at most {MaxYawDifference:0.00} apart). Use a saved face turned the same way, or a more frontal photo.");
        return new PosePlan(s, t, mirror, false, null);
    }
}
