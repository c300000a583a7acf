using OpenCvSharp;

namespace FaceSwap.Local;

/// <summary>Piecewise-affine warp over a Delaunay triangulation of corresponding landmarks.</summary>
internal static class TriangleWarp
{
    /// <summary>Triangles (as landmark index triples) of the Delaunay triangulation of <paramref name="points"/>.</summary>
    public static List<(int A, int B, int C)> Delaunay(IReadOnlyList<Point2f> points)
    {
        float minX = points.Min(p => p.X) - 2, minY = points.Min(p => p.Y) - 2;
        float maxX = points.Max(p => p.X) + 2, maxY = points.Max(p => p.Y) + 2;
        using var subdiv = new Subdiv2D(new Rect((int)minX - 1, (int)minY - 1, (int)(maxX - minX) + 3, (int)(maxY - minY) + 3));
        var index = new Dictionary<(float, float), int>();
        for (var i = 0; i < points.Count; i++)
        {
            // Subdiv2D keeps one vertex per position; the first landmark at a position names it.
            index.TryAdd((points[i].X, points[i].Y), i);
            subdiv.Insert(points[i]);
        }
        var triangles = new List<(int, int, int)>();
        foreach (var t in subdiv.GetTriangleList())
        {
            // Triangles touching Subdiv2D's virtual outer vertices have corners that are not landmarks.
            if (index.TryGetValue(((float)t.Item0, (float)t.Item1), out var a)
                && index.TryGetValue(((float)t.Item2, (float)t.Item3), out var b)
                && index.TryGetValue(((float)t.Item4, (float)t.Item5), out var c))
                triangles.Add((a, b, c));
        }
        return triangles;
    }

    /// <summary>Below this area (px²) a destination triangle is a sliver: it would smear its whole source triangle into a line.</summary>
    public const float MinArea = 0.5f;

    /// <summary>Twice the signed area of a triangle: positive when its corners run counter-clockwise (in image coordinates, y down).</summary>
    public static float SignedArea2(Point2f a, Point2f b, Point2f c) => (b.X - a.X) * (c.Y - a.Y) - (c.X - a.X) * (b.Y - a.Y);

    /// <summary>
    /// True when warping the source triangle onto the destination triangle would fold the image (the
    /// corners run the other way round: the triangle lands mirrored, over its neighbours) or squash it
    /// to nothing. Such a triangle is not warped; its pixels stay the target's.
    /// </summary>
    public static bool Folds(ReadOnlySpan<Point2f> source, ReadOnlySpan<Point2f> destination)
    {
        var s = SignedArea2(source[0], source[1], source[2]);
        var d = SignedArea2(destination[0], destination[1], destination[2]);
        return Math.Abs(d) < 2 * MinArea || Math.Abs(s) < 2 * MinArea || Math.Sign(s) != Math.Sign(d);
    }

    /// <summary>How many of <paramref name="triangles"/> would fold (see <see cref="Folds"/>).</summary>
    public static int CountFolds(IReadOnlyList<Point2f> from, IReadOnlyList<Point2f> to, IEnumerable<(int A, int B, int C)> triangles) =>
        triangles.Count(t => Folds([from[t.A], from[t.B], from[t.C]], [to[t.A], to[t.B], to[t.C]]));

    /// <summary>
    /// Warps <paramref name="source"/> so that each triangle of <paramref name="from"/> lands on the
    /// same triangle of <paramref name="to"/>, into a new image of <paramref name="size"/> (black elsewhere).
    /// </summary>
    public static Mat Warp(Mat source, IReadOnlyList<Point2f> from, IReadOnlyList<Point2f> to,
        IEnumerable<(int A, int B, int C)> triangles, Size size) => Warp(source, from, to, triangles, size, null);

    /// <param name="coverage">When given (CV_8UC1 of <paramref name="size"/>), set to 255 where a triangle wrote.</param>
    public static Mat Warp(Mat source, IReadOnlyList<Point2f> from, IReadOnlyList<Point2f> to,
        IEnumerable<(int A, int B, int C)> triangles, Size size, Mat? coverage)
    {
        var output = new Mat(size, source.Type(), Scalar.All(0));
        var sourceBounds = new Rect(0, 0, source.Width, source.Height);
        var outputBounds = new Rect(0, 0, size.Width, size.Height);
        foreach (var (a, b, c) in triangles)
        {
            Point2f[] s = [from[a], from[b], from[c]], d = [to[a], to[b], to[c]];
            if (Folds(s, d)) continue;
            var rs = Cv2.BoundingRect(s) & sourceBounds;
            var rd = Cv2.BoundingRect(d) & outputBounds;
            if (rs.Width <= 0 || rs.Height <= 0 || rd.Width <= 0 || rd.Height <= 0) continue;
            using var m = Cv2.GetAffineTransform(
                s.Select(p => new Point2f(p.X - rs.X, p.Y - rs.Y)),
                d.Select(p => new Point2f(p.X - rd.X, p.Y - rd.Y)));
            using var patch = new Mat();
            using (var sourcePatch = new Mat(source, rs))
                Cv2.WarpAffine(sourcePatch, patch, m, rd.Size, InterpolationFlags.Linear, BorderTypes.Reflect101);
            using var mask = new Mat(rd.Size, MatType.CV_8UC1, Scalar.All(0));
            Cv2.FillConvexPoly(mask, d.Select(p => new Point((int)MathF.Round(p.X - rd.X), (int)MathF.Round(p.Y - rd.Y))), Scalar.All(255));
            using var target = new Mat(output, rd);
            patch.CopyTo(target, mask);
            if (coverage is not null)
                using (var covered = new Mat(coverage, rd)) covered.SetTo(Scalar.All(255), mask);
        }
        return output;
    }
}
