using OpenCvSharp;

namespace FaceSwap.Local;

/// <summary>
/// Places dlib's 68 points on a detected face. The model was trained on dlib HOG detector boxes, and
/// other detectors draw their boxes differently, so the box is re-fitted once from the first
/// prediction (the box that maps the model's mean shape best onto the points) and the model run again.
/// </summary>
public sealed class FaceLandmarker(ShapePredictor predictor)
{
    public ShapePredictor Predictor { get; } = predictor;

    /// <summary>
    /// The 68 points of a detected face. When the detector also found the eyes and the mouth (BlazeFace),
    /// the first box is the one that puts the model's mean eyes and mouth on them: a box guessed from the
    /// detector's rectangle alone sits too low or too high on a tilted or turned face, and dlib then
    /// lands the eyes on the cheeks (sample5 of the face-api photos).
    /// </summary>
    public Point2f[] Locate(Mat image, DetectedFace face)
    {
        if (face.Keypoints.Length < 4) return Locate(image, face.Box);
        var points = Predictor.Predict(image, BoxFromKeypoints(face.Keypoints[0], face.Keypoints[1], face.Keypoints[3]));
        return Predictor.Predict(image, FitBox(points));
    }

    /// <summary>Least squares for a square box (corner, side) that maps the mean shape's eye and mouth centres onto the given ones.</summary>
    internal DlibBox BoxFromKeypoints(Point2f leftEye, Point2f rightEye, Point2f mouth)
    {
        var mean = Predictor.InitialShape.ToArray();
        (double U, double V) Centre(int from, int to)
        {
            double u = 0, v = 0;
            for (var i = from; i <= to; i++) { u += mean[2 * i]; v += mean[2 * i + 1]; }
            return (u / (to - from + 1), v / (to - from + 1));
        }
        var model = new[] { Centre(36, 41), Centre(42, 47), Centre(48, 67) };
        var image = new[] { leftEye, rightEye, mouth };
        double mu = model.Average(m => m.U), mv = model.Average(m => m.V);
        double mx = image.Average(p => (double)p.X), my = image.Average(p => (double)p.Y);
        double cov = 0, var = 0;
        for (var k = 0; k < 3; k++)
        {
            cov += (model[k].U - mu) * (image[k].X - mx) + (model[k].V - mv) * (image[k].Y - my);
            var += (model[k].U - mu) * (model[k].U - mu) + (model[k].V - mv) * (model[k].V - mv);
        }
        var side = cov / var;
        double left = mx - side * mu, top = my - side * mv;
        return new DlibBox((int)Math.Round(left), (int)Math.Round(top), (int)Math.Round(left + side), (int)Math.Round(top + side));
    }

    public Point2f[] Locate(Mat image, Rect2f detectorBox)
    {
        // dlib boxes are square and sit lower than most detectors' (brows to chin).
        var side = Math.Max(detectorBox.Width, detectorBox.Height) * 0.9f;
        var cx = detectorBox.X + detectorBox.Width / 2;
        var cy = detectorBox.Y + detectorBox.Height * 0.56f;
        var box = new DlibBox((int)MathF.Round(cx - side / 2), (int)MathF.Round(cy - side / 2),
            (int)MathF.Round(cx + side / 2), (int)MathF.Round(cy + side / 2));
        var points = Predictor.Predict(image, box);
        // A detector box far from dlib's (Haar's is often a third too small or too large) takes a few
        // re-fits to settle; stop when the box no longer moves.
        for (var pass = 0; pass < MaxRefits; pass++)
        {
            var next = FitBox(points);
            if (next == box) break;
            box = next;
            points = Predictor.Predict(image, box);
        }
        return points;
    }

    /// <summary>Most re-fits of the box after the first prediction from a detector box alone.</summary>
    public const int MaxRefits = 4;

    /// <summary>One more pass of the model, from the box that fits <paramref name="points"/> best.</summary>
    public Point2f[] Refine(Mat image, IReadOnlyList<Point2f> points) => Predictor.Predict(image, FitBox(points));

    /// <summary>Per-axis least squares: point = corner + extent · mean-shape coordinate.</summary>
    internal DlibBox FitBox(IReadOnlyList<Point2f> points)
    {
        var mean = Predictor.InitialShape.ToArray();
        var n = points.Count;
        double Fit(Func<Point2f, float> coord, int axis, out double extent)
        {
            double mu = 0, mp = 0;
            for (var i = 0; i < n; i++) { mu += mean[2 * i + axis]; mp += coord(points[i]); }
            mu /= n; mp /= n;
            double cov = 0, var = 0;
            for (var i = 0; i < n; i++) { var du = mean[2 * i + axis] - mu; cov += du * (coord(points[i]) - mp); var += du * du; }
            extent = cov / var;
            return mp - extent * mu;
        }
        var left = Fit(p => p.X, 0, out var w);
        var top = Fit(p => p.Y, 1, out var h);
        var side = (w + h) / 2; // keep the square aspect dlib's training boxes had
        var cx = left + w / 2; var cy = top + h / 2;
        return new DlibBox((int)Math.Round(cx - side / 2), (int)Math.Round(cy - side / 2), (int)Math.Round(cx + side / 2), (int)Math.Round(cy + side / 2));
    }
}
