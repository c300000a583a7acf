using OpenCvSharp;

namespace FaceSwap.Local;

/// <summary>Regions of a face derived from its 68 landmarks: the forehead, the mirrored shape, the skin.</summary>
public static class FaceShape
{
    /// <summary>How far above the brows the forehead estimate reaches, as a share of the brow-to-chin height: inside the hairline on most faces.</summary>
    public const float ForeheadHeight = 0.12f;

    /// <summary>
    /// The 68 points followed by five forehead points above brow points 17, 19, 21/22, 24 and 26, raised
    /// along the face's own vertical (chin to brows), so the swap covers the forehead and its top edge does
    /// not run straight along the brows.
    /// </summary>
    public static Point2f[] WithForehead(IReadOnlyList<Point2f> l)
    {
        var brows = new Point2f(Enumerable.Range(17, 10).Average(i => l[i].X), Enumerable.Range(17, 10).Average(i => l[i].Y));
        var upX = brows.X - l[8].X;
        var upY = brows.Y - l[8].Y;
        // The middle rises highest; the temples less, following the hairline's curve.
        Point2f Raise(Point2f p, float share) => new(p.X + upX * share, p.Y + upY * share);
        var middle = new Point2f((l[21].X + l[22].X) / 2, (l[21].Y + l[22].Y) / 2);
        return
        [
            .. l,
            Raise(l[17], ForeheadHeight * 0.55f),
            Raise(l[19], ForeheadHeight * 0.9f),
            Raise(middle, ForeheadHeight),
            Raise(l[24], ForeheadHeight * 0.9f),
            Raise(l[26], ForeheadHeight * 0.55f),
        ];
    }

    /// <summary>From this yaw on, the far side of the face is left to the target (see <see cref="VisibleOutline"/>).</summary>
    public const double FarSideFrom = 0.3;

    /// <summary>Share of the way to the nose tip by which the blend stays inside the jaw line.</summary>
    public const float JawInset = 0.08f;

    /// <summary>
    /// The outline the blend may cover, for a face of the given yaw (points as from <see cref="WithForehead"/>).
    /// On a turned face the far cheek is foreshortened into a thin band along the silhouette; a frontal source
    /// squeezed into it shows as a dark gash. So the far side's jaw, brow end and temple are pulled toward the
    /// nose, the more the further the head is turned, and that part of the face stays the target's own.
    /// </summary>
    public static Point2f[] VisibleOutline(IReadOnlyList<Point2f> l, double yaw)
    {
        var outline = l.ToArray();
        var anchor = l[30];
        // dlib's jaw points sit on the face's edge, often on the shadow or hair beside it: stay inside them.
        for (var i = 0; i <= 16; i++)
            outline[i] = new Point2f(l[i].X + (anchor.X - l[i].X) * JawInset, l[i].Y + (anchor.Y - l[i].Y) * JawInset);
        var pull = (float)Math.Clamp((Math.Abs(yaw) - FarSideFrom) / 0.4, 0, 1) * 0.5f;
        if (pull <= 0) return outline;
        // yaw < 0: the nose points to the image's left, so the left (points 0–7, 17–18, temple 68) is far.
        int[] far = yaw < 0 ? [0, 1, 2, 3, 4, 5, 6, 7, 17, 18, 68, 69] : [16, 15, 14, 13, 12, 11, 10, 9, 26, 25, 72, 71];
        foreach (var i in far)
        {
            // The pull fades toward the chin and the forehead's middle, which stay in view.
            var k = Math.Max(pull * (i is 7 or 9 or 69 or 71 ? 0.5f : 1f), i <= 16 ? JawInset : 0);
            outline[i] = new Point2f(l[i].X + (anchor.X - l[i].X) * k, l[i].Y + (anchor.Y - l[i].Y) * k);
        }
        return outline;
    }

    /// <summary>The shape of the horizontally flipped image of width <paramref name="width"/>, in the 68-point order.</summary>
    public static Point2f[] Mirror(IReadOnlyList<Point2f> l, int width) =>
        FacePose.Mirror68.Select(i => new Point2f(width - 1 - l[i].X, l[i].Y)).ToArray();

    /// <summary>
    /// The skin of a face (CV_8UC1): <paramref name="face"/> without the eyes, brows and the mouth's
    /// opening, whose whites, hair and teeth would skew a skin colour match.
    /// </summary>
    public static Mat SkinMask(IReadOnlyList<Point2f> l, Mat face)
    {
        var skin = face.Clone();
        var width = MathF.Sqrt((l[0].X - l[16].X) * (l[0].X - l[16].X) + (l[0].Y - l[16].Y) * (l[0].Y - l[16].Y));
        var thick = Math.Max(2, (int)MathF.Round(width * 0.05f));
        Point[] Poly(int from, int to) => Enumerable.Range(from, to - from + 1).Select(i => new Point((int)MathF.Round(l[i].X), (int)MathF.Round(l[i].Y))).ToArray();
        foreach (var region in new[] { Poly(36, 41), Poly(42, 47), Poly(60, 67) })
        {
            Cv2.FillConvexPoly(skin, region, Scalar.All(0));
            Cv2.Polylines(skin, [region], true, Scalar.All(0), thick);
        }
        Cv2.Polylines(skin, [Poly(17, 21), Poly(22, 26)], false, Scalar.All(0), thick);
        return skin;
    }
}
