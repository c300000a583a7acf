using OpenCvSharp;

namespace FaceSwap.Local;

/// <summary>
/// Least-squares similarity transforms (Umeyama, no reflection): what dlib uses between shapes and
/// what InsightFace's estimate_norm uses to align a face to its template.
/// </summary>
internal static class Similarity
{
    /// <summary>The 2×2 part [[a,−b],[b,a]] that best maps the centred <paramref name="from"/> onto the centred <paramref name="to"/>.</summary>
    public static (double A, double B) FitRotationScale(ReadOnlySpan<float> from, ReadOnlySpan<float> to)
    {
        var n = from.Length / 2;
        double mfx = 0, mfy = 0, mtx = 0, mty = 0;
        for (var i = 0; i < n; i++) { mfx += from[2 * i]; mfy += from[2 * i + 1]; mtx += to[2 * i]; mty += to[2 * i + 1]; }
        mfx /= n; mfy /= n; mtx /= n; mty /= n;
        double dot = 0, cross = 0, norm = 0;
        for (var i = 0; i < n; i++)
        {
            double fx = from[2 * i] - mfx, fy = from[2 * i + 1] - mfy, tx = to[2 * i] - mtx, ty = to[2 * i + 1] - mty;
            dot += fx * tx + fy * ty;
            cross += fx * ty - fy * tx;
            norm += fx * fx + fy * fy;
        }
        return norm == 0 ? (1, 0) : (dot / norm, cross / norm);
    }

    /// <summary>2×3 matrix (CV_64F) of the similarity that maps <paramref name="from"/> onto <paramref name="to"/>.</summary>
    public static Mat Estimate(IReadOnlyList<Point2f> from, IReadOnlyList<Point2f> to)
    {
        var f = new float[from.Count * 2];
        var t = new float[to.Count * 2];
        for (var i = 0; i < from.Count; i++) { f[2 * i] = from[i].X; f[2 * i + 1] = from[i].Y; t[2 * i] = to[i].X; t[2 * i + 1] = to[i].Y; }
        var (a, b) = FitRotationScale(f, t);
        double mfx = from.Average(p => (double)p.X), mfy = from.Average(p => (double)p.Y);
        double mtx = to.Average(p => (double)p.X), mty = to.Average(p => (double)p.Y);
        var m = new Mat(2, 3, MatType.CV_64FC1);
        m.Set(0, 0, a); m.Set(0, 1, -b); m.Set(0, 2, mtx - (a * mfx - b * mfy));
        m.Set(1, 0, b); m.Set(1, 1, a); m.Set(1, 2, mty - (b * mfx + a * mfy));
        return m;
    }
}

/// <summary>
/// Face alignment templates and crops (facefusion's face_helper): five-point landmarks, the ArcFace
/// template, and the similarity crop InsightFace calls norm_crop.
/// </summary>
public static class FaceAlignment
{
    /// <summary>InsightFace's arcface_dst for a 112×112 crop: left eye, right eye, nose tip, mouth corners.</summary>
    public static readonly Point2f[] ArcFaceTemplate112 =
    [
        new(38.2946f, 51.6963f), new(73.5318f, 51.5014f), new(56.0252f, 71.7366f),
        new(41.5493f, 92.3655f), new(70.7299f, 92.2041f),
    ];

    /// <summary>estimate_norm's destination for a crop of <paramref name="size"/>: scaled template, +8·ratio x shift when size is not a multiple of 112.</summary>
    public static Point2f[] Template(int size)
    {
        float ratio, shiftX;
        if (size % 112 == 0) { ratio = size / 112f; shiftX = 0; }
        else { ratio = size / 128f; shiftX = 8 * ratio; }
        return ArcFaceTemplate112.Select(p => new Point2f(p.X * ratio + shiftX, p.Y * ratio)).ToArray();
    }

    /// <summary>Five points from the 68 (facefusion's mapping): eye centres, nose tip, mouth corners.</summary>
    public static Point2f[] FivePointsFrom68(IReadOnlyList<Point2f> l)
    {
        static Point2f Mean(IReadOnlyList<Point2f> l, int from, int to)
        {
            float x = 0, y = 0;
            for (var i = from; i <= to; i++) { x += l[i].X; y += l[i].Y; }
            return new Point2f(x / (to - from + 1), y / (to - from + 1));
        }
        return [Mean(l, 36, 41), Mean(l, 42, 47), l[30], l[48], l[54]];
    }

    /// <summary>The transform from image to crop, and the crop itself (black outside the image).</summary>
    public static (Mat Crop, Mat Transform) Crop(Mat image, IReadOnlyList<Point2f> fivePoints, int size)
    {
        var m = Similarity.Estimate(fivePoints, Template(size));
        var crop = new Mat();
        Cv2.WarpAffine(image, crop, m, new Size(size, size), InterpolationFlags.Linear, BorderTypes.Constant, Scalar.All(0));
        return (crop, m);
    }
}
