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
    /// <remarks>
    /// dlib's model was trained on upright faces and fails on a head tilted by more than about 20°
    /// (sample1's third face: 45°). Such a face is turned upright first, on a crop around it, by the
    /// angle between the detector's eyes; the points are turned back afterwards.
    /// </remarks>
    public Point2f[] Locate(Mat image, DetectedFace face)
    {
        if (face.Keypoints.Length < 4) return Locate(image, face.Box);
        Point2f eye0 = face.Keypoints[0], eye1 = face.Keypoints[1], mouth = face.Keypoints[3];
        var roll = Math.Atan2(eye1.Y - eye0.Y, eye1.X - eye0.X) * 180 / Math.PI;
        if (Math.Abs(roll) <= UprightWithin) return LocateFrom(image, eye0, eye1, mouth);

        // A square crop three face-widths wide, rotated about the face's centre so the eyes are level.
        var side = (int)Math.Ceiling(Math.Max(face.Box.Width, face.Box.Height) * 3);
        var centre = new Point2f((eye0.X + eye1.X + mouth.X) / 3, (eye0.Y + eye1.Y + mouth.Y) / 3);
        using var toCrop = Cv2.GetRotationMatrix2D(centre, roll, 1);
        toCrop.Set(0, 2, toCrop.At<double>(0, 2) + side / 2.0 - centre.X);
        toCrop.Set(1, 2, toCrop.At<double>(1, 2) + side / 2.0 - centre.Y);
        using var crop = new Mat();
        Cv2.WarpAffine(image, crop, toCrop, new Size(side, side), InterpolationFlags.Linear, BorderTypes.Replicate);
        var upright = LocateFrom(crop, Apply(toCrop, eye0), Apply(toCrop, eye1), Apply(toCrop, mouth));
        using var back = new Mat();
        Cv2.InvertAffineTransform(toCrop, back);
        return upright.Select(p => Apply(back, p)).ToArray();
    }

    /// <summary>Head tilt (degrees) up to which dlib runs on the image as it is.</summary>
    public const double UprightWithin = 15;

    private Point2f[] LocateFrom(Mat image, Point2f eye0, Point2f eye1, Point2f mouth)
    {
        var points = Predictor.Predict(image, BoxFromKeypoints(eye0, eye1, mouth));
        return Refine(image, points);
    }

    private static Point2f Apply(Mat m, Point2f p) => new(
        (float)(m.At<double>(0, 0) * p.X + m.At<double>(0, 1) * p.Y + m.At<double>(0, 2)),
        (float)(m.At<double>(1, 0) * p.X + m.At<double>(1, 1) * p.Y + m.At<double>(1, 2)));

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
