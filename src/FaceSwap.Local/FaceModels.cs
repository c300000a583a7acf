using Microsoft.ML.OnnxRuntime;

namespace FaceSwap.Local;

/// <summary>One file the engine looked at, and what it made of it.</summary>
public sealed record ModelFileReport(string Path, string? Role, bool Accepted, string Detail);

/// <summary>What the local engine can do on this server, and why (GET /account/{channel} shows it).</summary>
public sealed record LocalCapabilities(
    string Tier,
    string Reason,
    string? Detector,
    bool Landmarks68,
    bool Cuda,
    bool GifTargets,
    IReadOnlyList<ModelFileReport> Models,
    IReadOnlyList<string> LicenceNotes);

/// <summary>Where the engine looks for model files; the defaults are where Debian packages put them.</summary>
public sealed record ModelLocations(
    string? ModelsDir,
    string? ShapePredictorPath = null,
    string? CascadesDir = null,
    bool PreferCuda = false)
{
    public const string DebianShapePredictor = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";
    public const string DebianCascades = "/usr/share/opencv4/haarcascades";
}

/// <summary>
/// The models found on this server, each recognised by its input/output signature rather than its
/// file name (a renamed file still works; a file that is not what its name says is rejected with the
/// signature that was found). Never downloads anything: the InsightFace weights and the dlib model are
/// for non-commercial use, so only the operator may put them here.
/// </summary>
public sealed class FaceModels : IDisposable
{
    public const string TierInsightFace = "insightface";
    public const string TierClassical = "classical";
    public const string TierNone = "none";

    public IFaceDetector? Detector { get; private set; }
    public FaceLandmarker? Landmarker { get; private set; }
    public ArcFaceEmbedder? ArcFace { get; private set; }
    public InSwapper? Swapper { get; private set; }
    public LocalCapabilities Capabilities { get; private set; } = null!;

    private readonly List<IDisposable> _owned = [];

    private FaceModels() { }

    public static readonly IReadOnlyList<string> LicenceNotes =
    [
        "InsightFace models (det_10g, w600k_r50, inswapper_128): non-commercial research use only; supplied by the operator, never downloaded by this server.",
        "dlib shape_predictor_68_face_landmarks: trained on iBUG 300-W, whose licence excludes commercial use.",
        "BlazeFace (MediaPipe) ONNX: Apache-2.0. OpenCV Haar cascades: Intel/BSD-style licence.",
        "Every produced image is labelled as synthetic (IPTC digital source type trainedAlgorithmicMedia in XMP).",
    ];

    public static FaceModels Load(ModelLocations where)
    {
        var models = new FaceModels();
        var reports = new List<ModelFileReport>();
        var sessions = new InferenceSessions(where.PreferCuda);
        BlazeFaceDetector? blaze = null;
        ScrfdFaceDetector? scrfd = null;

        var onnxFiles = where.ModelsDir is { } dir && Directory.Exists(dir)
            ? Directory.GetFiles(dir, "*.onnx").Order(StringComparer.Ordinal).ToArray()
            : [];
        if (where.ModelsDir is { } missing && !Directory.Exists(missing))
            reports.Add(new ModelFileReport(missing, null, false, "models directory does not exist"));

        foreach (var path in onnxFiles)
        {
            InferenceSession session;
            try { session = sessions.Open(path); }
            catch (Exception e) when (e is OnnxRuntimeException or InvalidDataException or IOException)
            {
                reports.Add(new ModelFileReport(path, ExpectedRole(path), false, $"not a loadable ONNX model: {FirstLine(e.Message)}"));
                continue;
            }
            var report = Classify(path, session, ref blaze, ref scrfd, models);
            reports.Add(report);
            if (report.Accepted) models._owned.Add(session); else session.Dispose();
        }

        // Prefer the 256 BlazeFace (small faces); SCRFD when present, since it also gives five points.
        models.Detector = (IFaceDetector?)scrfd ?? blaze;

        var predictorPath = new[] { where.ShapePredictorPath, where.ModelsDir is null ? null : Path.Combine(where.ModelsDir, "shape_predictor_68_face_landmarks.dat"), ModelLocations.DebianShapePredictor }
            .FirstOrDefault(p => p is not null && File.Exists(p));
        if (predictorPath is not null)
        {
            try
            {
                var predictor = ShapePredictor.Load(predictorPath);
                if (predictor.PointCount != 68) throw new InvalidDataException($"it predicts {predictor.PointCount} points, not 68");
                models.Landmarker = new FaceLandmarker(predictor);
                reports.Add(new ModelFileReport(predictorPath, "landmarks68", true, $"dlib shape predictor, 68 points, {predictor.CascadeCount} cascades"));
            }
            catch (InvalidDataException e)
            {
                reports.Add(new ModelFileReport(predictorPath, "landmarks68", false, $"not a dlib 68-point shape_predictor file: {e.Message}"));
            }
        }

        if (models.Detector is null)
        {
            // A configured folder is the only place looked: the operator said where the cascades are.
            var candidates = where.CascadesDir is not null ? [where.CascadesDir] : new[] { where.ModelsDir, ModelLocations.DebianCascades };
            var cascadeDir = candidates
                .FirstOrDefault(d => d is not null && File.Exists(Path.Combine(d, "haarcascade_frontalface_default.xml")));
            if (cascadeDir is not null)
            {
                try
                {
                    var haar = new HaarFaceDetector(Path.Combine(cascadeDir, "haarcascade_frontalface_default.xml"), Path.Combine(cascadeDir, "haarcascade_frontalface_alt2.xml"));
                    models._owned.Add(haar);
                    models.Detector = haar;
                    reports.Add(new ModelFileReport(cascadeDir, "detector", true, "OpenCV Haar cascades (frontalface_default confirmed by alt2), fallback detector"));
                }
                catch (FaceSwapException e)
                {
                    reports.Add(new ModelFileReport(cascadeDir, "detector", false, e.Details));
                }
            }
        }

        models.Capabilities = Decide(models, reports, sessions);
        return models;
    }

    private static ModelFileReport Classify(string path, InferenceSession session, ref BlazeFaceDetector? blaze, ref ScrfdFaceDetector? scrfd, FaceModels models)
    {
        string reason;
        try
        {
            if (InSwapper.IsInSwapper(session, out reason))
            {
                if (models.Swapper is not null) return new ModelFileReport(path, "swapper", false, "another inswapper file is already in use");
                models.Swapper = new InSwapper(session, path);
                return new ModelFileReport(path, "swapper", true, "inswapper_128-compatible swapper (emap read from the last initializer)");
            }
            if (ArcFaceEmbedder.IsArcFace(session, out _))
            {
                if (models.ArcFace is not null) return new ModelFileReport(path, "embedding", false, "another ArcFace file is already in use");
                models.ArcFace = new ArcFaceEmbedder(session);
                return new ModelFileReport(path, "embedding", true, "ArcFace-compatible embedding model (112² → 512)");
            }
            if (ScrfdFaceDetector.IsScrfd(session, out _))
            {
                if (scrfd is not null) return new ModelFileReport(path, "detector", false, "another SCRFD file is already in use");
                scrfd = new ScrfdFaceDetector(session);
                return new ModelFileReport(path, "detector", true, "SCRFD (det_10g-compatible) detector with five keypoints");
            }
            if (BlazeFaceDetector.IsBlazeFace(session, out _))
            {
                var candidate = new BlazeFaceDetector(session);
                var size = session.InputMetadata.Single().Value.Dimensions[1];
                if (blaze is not null && size <= 128) return new ModelFileReport(path, "detector", false, "a BlazeFace model is already in use");
                blaze = candidate;
                return new ModelFileReport(path, "detector", true, $"BlazeFace {size}² detector");
            }
        }
        catch (FaceSwapException e)
        {
            return new ModelFileReport(path, ExpectedRole(path), false, e.Message + ": " + e.Details);
        }
        // Say what the name promised and what the file really has.
        reason = ExpectedRole(path) switch
        {
            "swapper" => $"model {Path.GetFileName(path)} is not an inswapper_128-compatible file: {InSwapperReason(session)}",
            "embedding" => $"model {Path.GetFileName(path)} is not an ArcFace (w600k_r50-compatible) file: {ArcReason(session)}",
            "detector" => $"model {Path.GetFileName(path)} is not an SCRFD (det_10g-compatible) file: {ScrfdReason(session)}",
            _ => $"model {Path.GetFileName(path)} matches no model this engine uses (inputs {session.InputMetadata.Describe()}, outputs {session.OutputMetadata.Describe()})",
        };
        return new ModelFileReport(path, ExpectedRole(path), false, reason);
    }

    private static string InSwapperReason(InferenceSession s) { InSwapper.IsInSwapper(s, out var r); return r; }
    private static string ArcReason(InferenceSession s) { ArcFaceEmbedder.IsArcFace(s, out var r); return r; }
    private static string ScrfdReason(InferenceSession s) { ScrfdFaceDetector.IsScrfd(s, out var r); return r; }

    /// <summary>The role a file's name claims (for the error message when its signature disagrees).</summary>
    internal static string? ExpectedRole(string path)
    {
        var name = Path.GetFileName(path).ToLowerInvariant();
        if (name.Contains("inswapper") || name.Contains("swap")) return "swapper";
        if (name.Contains("w600k") || name.Contains("arcface") || name.Contains("r50") || name.Contains("r100")) return "embedding";
        if (name.Contains("det_") || name.Contains("scrfd") || name.Contains("blaze")) return "detector";
        return null;
    }

    private static string FirstLine(string s) => s.Split('\n')[0];

    private static LocalCapabilities Decide(FaceModels m, List<ModelFileReport> reports, InferenceSessions sessions)
    {
        var fiveSource = m.Detector is ScrfdFaceDetector || (m.Detector is not null && m.Landmarker is not null);
        string tier, reason;
        if (m.Swapper is not null && m.ArcFace is not null && fiveSource)
        {
            tier = TierInsightFace;
            reason = m.Detector is ScrfdFaceDetector
                ? "inswapper_128, ArcFace and SCRFD models found and valid"
                : $"inswapper_128 and ArcFace found; no SCRFD detector, so {m.Detector!.Name} boxes with dlib five points align the faces";
        }
        else if (m.Landmarker is not null && m.Detector is not null)
        {
            tier = TierClassical;
            var missing = new List<string>();
            if (m.Swapper is null) missing.Add("an inswapper_128 model");
            if (m.ArcFace is null) missing.Add("an ArcFace (w600k_r50) model");
            reason = $"dlib 68-point landmarks with the {m.Detector.Name} detector; the InsightFace tier needs {string.Join(" and ", missing.DefaultIfEmpty("a detector with five points"))} in FaceSwap:Local:ModelsDir";
        }
        else
        {
            tier = TierNone;
            var missing = new List<string>();
            if (m.Detector is null) missing.Add("a face detector (BlazeFace ONNX or SCRFD in FaceSwap:Local:ModelsDir, or Haar cascades from the opencv-data package)");
            if (m.Landmarker is null) missing.Add("landmarks (dlib shape_predictor_68_face_landmarks.dat from the libdlib-data package)");
            if (m.Landmarker is null && (m.Swapper is null || m.ArcFace is null)) missing.Add("or the InsightFace models (inswapper_128, w600k_r50, det_10g)");
            reason = "no face swap possible: missing " + string.Join("; ", missing);
        }
        if (sessions.CudaUnavailableReason is not null) reason += $" (CUDA requested but unavailable: {FirstLine(sessions.CudaUnavailableReason)})";
        return new LocalCapabilities(tier, reason, m.Detector?.Name, m.Landmarker is not null, sessions.CudaActive, GifTargets: ImageCodec.GifSupported, reports, LicenceNotes);
    }

    public void Dispose()
    {
        foreach (var d in _owned) d.Dispose();
        (Swapper as IDisposable)?.Dispose();
        ArcFace?.Dispose();
        (Detector as IDisposable)?.Dispose();
    }
}
