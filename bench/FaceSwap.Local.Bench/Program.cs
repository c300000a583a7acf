using System.Diagnostics;
using FaceSwap.Local;
using OpenCvSharp;

// Times the classical swap per stage and end to end, on the fixture photos (scripts/fetch-fixtures.sh).
// Each figure is the median of several runs after warm-up, in ms and as a ratio to a baseline measured
// in the same run on the same image: decode + encode, the least any swap service must do.
// Run: dotnet run -c Release --project bench/FaceSwap.Local.Bench [runs]   (BENCH_OUT=dir writes the swapped images)

var fixtures = Environment.GetEnvironmentVariable("FACESWAP_FIXTURES") is { Length: > 0 } f
    ? f : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "faceswap-fixtures");
var runs = args.Length > 0 ? int.Parse(args[0]) : 15;
string Fixture(string p) => File.Exists(Path.Combine(fixtures, p)) ? Path.Combine(fixtures, p)
    : throw new FileNotFoundException($"fixture {p} missing in {fixtures}: run scripts/fetch-fixtures.sh");

var load = Stopwatch.StartNew();
using var models = FaceModels.Load(new ModelLocations(Path.Combine(fixtures, "blazeface"), Fixture("dlib/shape_predictor_68_face_landmarks.dat"), Path.Combine(fixtures, "haarcascades")));
Console.WriteLine($"model load: {load.ElapsedMilliseconds} ms; tier {models.Capabilities.Tier}, detector {models.Capabilities.Detector}");
Console.WriteLine($"cores: {Environment.ProcessorCount}, OpenCV threads: {Cv2.GetNumThreads()}");
using var swapper = new LocalFaceSwapper(new LocalEngineOptions(), models);
var pipeline = swapper.Pipeline;
var codec = swapper.Codec;
using var haarModels = FaceModels.Load(new ModelLocations(null, Fixture("dlib/shape_predictor_68_face_landmarks.dat"), Path.Combine(fixtures, "haarcascades")));
var source = await swapper.CaptureAsync(File.ReadAllBytes(Fixture("face-api/sample3.jpg")), "source", default);

// Inputs with one detected face: the 512² astronaut PNG, the same photo as a 1920² JPEG, a 1920-px group photo where BlazeFace sees one face.
var astronaut = File.ReadAllBytes(Fixture("astronaut.png"));
byte[] astronaut1920;
using (var a = Cv2.ImDecode(astronaut, ImreadModes.Color))
using (var big = a.Resize(new Size(1920, 1920), 0, 0, InterpolationFlags.Cubic))
    Cv2.ImEncode(".jpg", big, out astronaut1920, new ImageEncodingParam(ImwriteFlags.JpegQuality, 92));
var cases = new (string Name, byte[] Bytes)[]
{
    ("astronaut 512x512 png", astronaut),
    ("astronaut 1920x1920 jpg", astronaut1920),
    ("sample2 1920x1367 jpg", File.ReadAllBytes(Fixture("face-api/sample2.jpg"))),
};

double Median(Func<double> once)
{
    for (var i = 0; i < 3; i++) once();
    var times = Enumerable.Range(0, runs).Select(_ => once()).Order().ToArray();
    return times[times.Length / 2];
}

double Time(Action a)
{
    var sw = Stopwatch.StartNew();
    a();
    return sw.Elapsed.TotalMilliseconds;
}

foreach (var (name, bytes) in cases)
{
    var format = ImageHeader.TryRead(bytes)!.Format;
    using var decoded = codec.Decode(bytes, "image");
    var faces = pipeline.Analyse(decoded);
    if (faces.Count == 0) { Console.WriteLine($"{name}: no face found, skipped"); continue; }
    var face = faces.MaxBy(x => x.Area)!;
    var detected = models.Detector!.Detect(decoded).MaxBy(x => x.Area)!;

    var decode = Median(() => Time(() => codec.Decode(bytes, "image").Dispose()));
    var encode = Median(() => Time(() => codec.Encode(decoded, format)));
    var detect = Median(() => Time(() => models.Detector.Detect(decoded)));
    var haar = Median(() => Time(() => haarModels.Detector!.Detect(decoded)));
    var landmarks = Median(() => Time(() => models.Landmarker!.Locate(decoded, detected)));
    var warpBlend = Median(() =>
    {
        using var copy = decoded.Clone();
        return Time(() => pipeline.SwapInto(copy, [source], false, "image", [face]).Dispose());
    });
    // Whole swap: bytes in, labelled bytes out, with the BlazeFace detector.
    var whole = Median(() => Time(() => swapper.SwapIntoAsync(bytes, [source], false, "image", default).GetAwaiter().GetResult()));
    var baseline = decode + encode;
    if (Environment.GetEnvironmentVariable("BENCH_OUT") is { Length: > 0 } outDir)
    {
        // For a visual check only; never commit these (photos of real people).
        var result = await swapper.SwapIntoAsync(bytes, [source], false, "image", default);
        await File.WriteAllBytesAsync(Path.Combine(outDir, name.Replace(' ', '_') + "." + result.Extension), result.Content);
    }

    Console.WriteLine($"\n{name} ({faces.Count} face) — baseline decode+encode {baseline:F1} ms");
    foreach (var (stage, ms) in new[] { ("decode", decode), ("detect (BlazeFace)", detect), ("detect (Haar fallback)", haar), ("landmarks (68, 2 passes)", landmarks), ("warp+colour+blend", warpBlend), ("encode+label", encode), ("whole swap", whole) })
        Console.WriteLine($"  {stage,-26} {ms,8:F1} ms  {ms / baseline,6:F2}× baseline");
}
