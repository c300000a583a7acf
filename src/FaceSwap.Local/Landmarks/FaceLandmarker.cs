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

    public Point2f[] Locate(Mat image, Rect2f detectorBox)
    {
        // dlib boxes are square and sit lower than most detectors' (brows to chin).
        var side = Math.Max(detectorBox.Width, detectorBox.Height) * 0.9f;
        var cx = detectorBox.X + detectorBox.Width / 2;
        var cy = detectorBox.Y + detectorBox.Height * 0.56f;
        var box = new DlibBox((int)MathF.Round(cx - side / 2), (int)MathF.Round(cy - side / 2),
            (int)MathF.Round(cx + side / 2), (int)MathF.Round(cy + side / 2));
        var points = Predictor.Predict(image, box);
        return Predictor.Predict(image, FitBox(points));
    }

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
