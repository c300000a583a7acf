using OpenCvSharp;

namespace FaceSwap.Local.Tests;

public class LandmarkTests
{
    // Golden 68 points on astronaut.png for two boxes (dlib rectangle left, top, right, bottom).
    // Produced by native dlib 19.24 (headers of Debian's libdlib-dev, g++ -O2, shape_predictor on an
    // array2d<rgb_pixel> of the decoded PNG, 2026-11-28): the C# port matched both lists exactly.
    private const string GoldenBoxA =
        "179,104 179,115 180,126 181,138 184,150 191,160 200,169 210,176 221,178 233,177 244,171 254,163 261,153 266,142 269,130 271,119 272,107 187,94 192,88 200,87 208,88 215,92 236,93 244,90 252,90 260,92 265,98 225,102 225,111 225,119 225,127 214,131 219,133 224,134 229,133 234,132 195,101 200,98 207,98 212,104 206,104 200,104 237,105 243,101 250,101 255,104 250,106 243,106 200,139 209,139 218,139 224,141 230,140 238,140 246,140 238,151 229,155 222,156 216,155 208,150 203,140 217,143 223,144 229,143 243,142 229,150 223,150 217,149";
    private const string GoldenBoxB =
        "180,103 180,115 181,126 182,138 184,150 191,160 199,168 209,176 221,178 232,177 243,170 253,163 261,153 265,142 268,131 270,120 272,108 187,94 193,88 201,87 209,89 216,92 236,94 244,91 252,90 260,92 265,98 226,102 225,110 225,119 225,127 214,131 219,132 224,134 229,133 234,132 195,101 200,98 207,98 212,104 206,104 200,104 238,105 243,100 250,100 255,104 250,106 244,106 200,139 209,139 218,139 223,141 230,140 237,140 246,141 237,151 229,155 222,156 216,154 207,149 203,140 217,143 223,144 229,143 243,142 229,150 223,150 217,149";

    [SkippableTheory]
    [InlineData(177, 67, 269, 159, GoldenBoxA)]
    [InlineData(171, 74, 275, 178, GoldenBoxB)]
    public void Shape_predictor_matches_native_dlib_on_the_astronaut(int l, int t, int r, int b, string golden)
    {
        var predictor = Fixtures.Predictor();
        using var image = Fixtures.Read(Fixtures.Astronaut);
        // dlib rounds parts to integers with floor(x + 0.5).
        var points = predictor.Predict(image, new DlibBox(l, t, r, b))
            .Select(p => $"{Math.Floor(p.X + 0.5)},{Math.Floor(p.Y + 0.5)}");
        Assert.Equal(golden, string.Join(" ", points));
    }

    [SkippableFact]
    public void The_debian_model_has_68_points_in_15_cascades()
    {
        var predictor = Fixtures.Predictor();
        Assert.Equal(68, predictor.PointCount);
        Assert.Equal(15, predictor.CascadeCount);
    }

    [Fact]
    public void A_file_that_is_not_a_shape_predictor_is_refused()
    {
        Assert.Throws<InvalidDataException>(() => ShapePredictor.Read(new MemoryStream([0x01, 0x02])));
        Assert.Throws<InvalidDataException>(() => ShapePredictor.Read(new MemoryStream("hello world"u8.ToArray())));
    }

    [SkippableFact]
    public void Landmarker_on_a_blazeface_box_puts_the_eyes_where_blazeface_sees_them()
    {
        var models = Fixtures.Classical();
        using var image = Fixtures.Read(Fixtures.Astronaut);
        var face = Assert.Single(models.Detector!.Detect(image));
        var points = models.Landmarker!.Locate(image, face.Box);
        var five = FaceAlignment.FivePointsFrom68(points);
        // BlazeFace keypoint 0/1 are the eyes in image left/right order.
        Assert.InRange(five[0].DistanceTo(face.Keypoints[0]), 0, 5);
        Assert.InRange(five[1].DistanceTo(face.Keypoints[1]), 0, 5);
    }

    [SkippableFact]
    public void A_head_tilted_by_45_degrees_gets_its_eyes_and_mouth_where_blazeface_sees_them()
    {
        // sample1's third face leans about 45°; dlib run on it as it is puts the eyes on the cheek.
        var models = Fixtures.Classical();
        using var image = Fixtures.Read(Fixtures.GroupPhoto(1));
        var face = models.Detector!.Detect(image)[2];
        var tilt = Math.Atan2(face.Keypoints[1].Y - face.Keypoints[0].Y, face.Keypoints[1].X - face.Keypoints[0].X) * 180 / Math.PI;
        Assert.InRange(Math.Abs(tilt), 30, 60);
        var five = FaceAlignment.FivePointsFrom68(models.Landmarker!.Locate(image, face));
        var iod = face.Keypoints[0].DistanceTo(face.Keypoints[1]);
        Assert.InRange(five[0].DistanceTo(face.Keypoints[0]), 0, iod * 0.2);
        Assert.InRange(five[1].DistanceTo(face.Keypoints[1]), 0, iod * 0.2);
        var mouth = new Point2f((five[3].X + five[4].X) / 2, (five[3].Y + five[4].Y) / 2);
        Assert.InRange(mouth.DistanceTo(face.Keypoints[3]), 0, iod * 0.3);
    }

    [SkippableFact]
    public void Landmarks_on_a_haar_box_agree_with_those_on_a_blazeface_box()
    {
        // Detectors draw boxes differently; the landmarker re-fits the box, so both land on the same face.
        using var image = Fixtures.Read(Fixtures.Astronaut);
        var blaze = Fixtures.Classical();
        var haar = Fixtures.HaarClassical();
        var a = FaceAlignment.FivePointsFrom68(blaze.Landmarker!.Locate(image, blaze.Detector!.Detect(image)[0].Box));
        var b = FaceAlignment.FivePointsFrom68(haar.Landmarker!.Locate(image, haar.Detector!.Detect(image)[0].Box));
        for (var i = 0; i < 5; i++) Assert.InRange(a[i].DistanceTo(b[i]), 0, 4);
    }

    [SkippableFact]
    public void Mirrored_image_gives_mirrored_landmarks()
    {
        var models = Fixtures.Classical();
        using var image = Fixtures.Read(Fixtures.Astronaut);
        using var flipped = image.Flip(FlipMode.Y);
        var a = FaceAlignment.FivePointsFrom68(models.Landmarker!.Locate(image, models.Detector!.Detect(image)[0].Box));
        var b = FaceAlignment.FivePointsFrom68(models.Landmarker.Locate(flipped, models.Detector.Detect(flipped)[0].Box));
        // Left eye of one is the mirrored right eye of the other.
        var mirroredRight = new Point2f(image.Width - 1 - b[1].X, b[1].Y);
        Assert.InRange(a[0].DistanceTo(mirroredRight), 0, 4);
    }
}
