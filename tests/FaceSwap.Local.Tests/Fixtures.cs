using OpenCvSharp;

namespace FaceSwap.Local.Tests;

/// <summary>
/// Models and photos fetched by scripts/fetch-fixtures.sh into FACESWAP_FIXTURES (default
/// ~/.cache/faceswap-fixtures). A test that needs a missing one is skipped with the reason, never passed.
/// </summary>
internal static class Fixtures
{
    public static string Dir => Environment.GetEnvironmentVariable("FACESWAP_FIXTURES") is { Length: > 0 } d
        ? d
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "faceswap-fixtures");

    public static string Path_(string relative) => Path.Combine(Dir, relative);

    public static string Require(string relative)
    {
        var path = Path.Combine(Dir, relative);
        Skip.IfNot(File.Exists(path), $"fixture {path} is missing: run scripts/fetch-fixtures.sh (or set FACESWAP_FIXTURES)");
        return path;
    }

    public const string Astronaut = "astronaut.png";
    public const string ShapePredictor = "dlib/shape_predictor_68_face_landmarks.dat";
    public const string BlazeFace256 = "blazeface/face_detection_back_256x256_barracuda.onnx";
    public static string GroupPhoto(int n) => $"face-api/sample{n}.jpg";

    private static readonly Lazy<ShapePredictor> SharedPredictor = new(() => Local.ShapePredictor.Load(Path_(ShapePredictor)));
    private static readonly Lazy<FaceModels> SharedClassical = new(() => FaceModels.Load(new ModelLocations(
        Path_("blazeface"), Path_(ShapePredictor), Path_("haarcascades"))));
    private static readonly Lazy<FaceModels> SharedHaar = new(() => FaceModels.Load(new ModelLocations(
        null, Path_(ShapePredictor), Path_("haarcascades"))));

    public static ShapePredictor Predictor()
    {
        Require(ShapePredictor);
        return SharedPredictor.Value;
    }

    /// <summary>BlazeFace + dlib: the classical tier as a server with the fixture files would run it.</summary>
    public static FaceModels Classical()
    {
        Require(ShapePredictor);
        Require(BlazeFace256);
        return SharedClassical.Value;
    }

    /// <summary>The Haar fallback detector + dlib.</summary>
    public static FaceModels HaarClassical()
    {
        Require(ShapePredictor);
        Require("haarcascades/haarcascade_frontalface_default.xml");
        return SharedHaar.Value;
    }

    public static Mat Read(string relative) => Cv2.ImRead(Require(relative), ImreadModes.Color);
    public static byte[] Bytes(string relative) => File.ReadAllBytes(Require(relative));
}
