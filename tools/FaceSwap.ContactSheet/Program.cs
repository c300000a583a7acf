using FaceSwap.Local;
using FaceSwap.Local.Quality;
using OpenCvSharp;

// Swaps one face (the astronaut by default) onto every face of the six face-api demo photos with the
// classical tier (BlazeFace + dlib), prints the quality figures per face, and writes two PNGs for a person
// to look at: the whole photos before | after, and each face before | after, close up.
// Usage: FaceSwap.ContactSheet <output-dir> [source-image]. Environment: CONTACT_SHEET_CROP (close-up size,
// default 200), CONTACT_SHEET_ONLY (one photo, e.g. 3), CONTACT_SHEET_PLACER=haar (the Haar fallback places). The images show real people: never commit them.

var fixtures = Environment.GetEnvironmentVariable("FACESWAP_FIXTURES") is { Length: > 0 } f
    ? f : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "faceswap-fixtures");
var outDir = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "faceswap-contact-sheet");
var sourcePath = args.Length > 1 ? args[1] : Path.Combine(fixtures, "astronaut.png");
string Fixture(string p) => File.Exists(Path.Combine(fixtures, p)) ? Path.Combine(fixtures, p)
    : throw new FileNotFoundException($"fixture {p} missing in {fixtures}: run scripts/fetch-fixtures.sh");
Directory.CreateDirectory(outDir);

using var placing = FaceModels.Load(new ModelLocations(Path.Combine(fixtures, "blazeface"), Fixture("dlib/shape_predictor_68_face_landmarks.dat"), Path.Combine(fixtures, "haarcascades")));
using var readBack = FaceModels.Load(new ModelLocations(null, Fixture("dlib/shape_predictor_68_face_landmarks.dat"), Path.Combine(fixtures, "haarcascades")));
// CONTACT_SHEET_PLACER=haar: the Haar fallback places the faces and BlazeFace reads them back.
var haarPlaces = Environment.GetEnvironmentVariable("CONTACT_SHEET_PLACER") == "haar";
var pipeline = new FaceSwapPipeline(haarPlaces ? readBack : placing);
using var sourceImage = Cv2.ImRead(sourcePath, ImreadModes.Color);
var source = pipeline.Capture(sourceImage, "source");
Console.WriteLine($"source {sourcePath}: yaw {FacePose.Yaw(source.Landmarks68!):+0.00;-0.00}");

const int photoWidth = 640, label = 54, gap = 12;
var crop = Environment.GetEnvironmentVariable("CONTACT_SHEET_CROP") is { Length: > 0 } c ? int.Parse(c) : 200;
var only = Environment.GetEnvironmentVariable("CONTACT_SHEET_ONLY"); // e.g. "3" for sample3 alone
var rows = new List<Mat>();
var faceTiles = new List<Mat>();
for (var n = 1; n <= 6; n++)
{
    if (only is not null && only != n.ToString()) continue;
    using var target = Cv2.ImRead(Fixture($"face-api/sample{n}.jpg"), ImreadModes.Color);
    var run = SwapQuality.Measure(pipeline, haarPlaces ? placing : readBack, source, target);
    Console.WriteLine($"sample{n}: {run.Faces.Count} faces");
    foreach (var q in run.Faces) Console.WriteLine("  " + q);

    var scale = (double)photoWidth / target.Width;
    using var before = target.Resize(new Size(), scale, scale, InterpolationFlags.Area);
    using var after = run.Result.Resize(new Size(), scale, scale, InterpolationFlags.Area);
    var row = new Mat(before.Height + gap, 2 * photoWidth + gap, MatType.CV_8UC3, Scalar.All(255));
    before.CopyTo(new Mat(row, new Rect(0, 0, photoWidth, before.Height)));
    after.CopyTo(new Mat(row, new Rect(photoWidth + gap, 0, photoWidth, after.Height)));
    Cv2.PutText(row, $"sample{n}", new Point(8, 28), HersheyFonts.HersheySimplex, 0.9, Scalar.All(255), 3);
    Cv2.PutText(row, $"sample{n}", new Point(8, 28), HersheyFonts.HersheySimplex, 0.9, Scalar.All(0), 1);
    rows.Add(row);

    foreach (var q in run.Faces)
    {
        var side = Math.Max(q.Box.Width, q.Box.Height) * 1.7f;
        var box = new Rect((int)(q.Box.X + q.Box.Width / 2 - side / 2), (int)(q.Box.Y + q.Box.Height / 2 - side / 2), (int)side, (int)side)
                  & new Rect(0, 0, target.Width, target.Height);
        var tile = new Mat(crop + label, 2 * crop + 4, MatType.CV_8UC3, Scalar.All(255));
        using (var a = new Mat(target, box).Resize(new Size(crop, crop), 0, 0, InterpolationFlags.Area)) a.CopyTo(new Mat(tile, new Rect(0, 0, crop, crop)));
        using (var b = new Mat(run.Result, box).Resize(new Size(crop, crop), 0, 0, InterpolationFlags.Area)) b.CopyTo(new Mat(tile, new Rect(crop + 4, 0, crop, crop)));
        var line1 = $"s{n} f{q.Index} {(q.Swapped ? q.Outcome.Replace("swapped", "ok").Replace(" (mirrored source)", " mirrored") : "refused")}";
        var line2 = q.Swapped
            ? $"hue {q.OffHueShare:P1} seam {q.SeamRatio:F1} pos {(double.IsNaN(q.PlacementError) ? "n/a" : double.IsInfinity(q.PlacementError) ? "lost" : q.PlacementError.ToString("P0"))}"
            : q.Outcome.Replace("refused: ", "");
        Cv2.PutText(tile, line1, new Point(4, crop + 20), HersheyFonts.HersheySimplex, 0.5, Scalar.All(0), 1);
        Cv2.PutText(tile, line2[..Math.Min(line2.Length, 48)], new Point(4, crop + 42), HersheyFonts.HersheySimplex, 0.45, Scalar.All(0), 1);
        faceTiles.Add(tile);
    }
    run.Result.Dispose();
}

var photosPath = Path.Combine(outDir, "contact-sheet.png");
using (var sheet = new Mat())
{
    Cv2.VConcat(rows.ToArray(), sheet);
    Cv2.ImWrite(photosPath, sheet);
}
const int perRow = 3;
var tileW = 2 * crop + 4 + gap;
var tileH = crop + label + gap;
using (var faces = new Mat((faceTiles.Count + perRow - 1) / perRow * tileH, perRow * tileW, MatType.CV_8UC3, Scalar.All(255)))
{
    for (var i = 0; i < faceTiles.Count; i++)
        faceTiles[i].CopyTo(new Mat(faces, new Rect(i % perRow * tileW, i / perRow * tileH, faceTiles[i].Width, faceTiles[i].Height)));
    Cv2.ImWrite(Path.Combine(outDir, "contact-sheet-faces.png"), faces);
}
Console.WriteLine($"contact sheet: {photosPath}");
Console.WriteLine($"faces close up: {Path.Combine(outDir, "contact-sheet-faces.png")}");
