namespace FaceSwap.Local;

/// <summary>Settings of the local engine, bound from configuration section <c>FaceSwap:Local</c>.</summary>
public sealed class LocalEngineOptions
{
    public const string Section = "FaceSwap:Local";

    /// <summary>Folder of operator-supplied models (*.onnx: BlazeFace, det_10g, w600k_r50, inswapper_128; optionally the dlib .dat). Never filled by this server.</summary>
    public string? ModelsDir { get; set; }

    /// <summary>dlib 68-point model; default: ModelsDir, then Debian's libdlib-data path.</summary>
    public string? ShapePredictorPath { get; set; }

    /// <summary>OpenCV Haar cascades for the fallback detector; default: ModelsDir, then Debian's opencv-data path.</summary>
    public string? CascadesDir { get; set; }

    /// <summary>Where saved ids live; default <c>{FaceSwap:DataDir}/local-faces</c>.</summary>
    public string? SavedFacesDir { get; set; }

    /// <summary>Decompression-bomb guard: images declaring more pixels (per frame) are refused before decoding.</summary>
    public long MaxPixels { get; set; } = 40_000_000;

    /// <summary>GIF targets: the bot's limits.</summary>
    public int MaxGifFrames { get; set; } = 75;
    public long MaxGifBytes { get; set; } = 10 * 1024 * 1024;

    public int MaxSavedIds { get; set; } = 20;

    /// <summary>Try ONNX Runtime's CUDA execution provider (needs the GPU build of ONNX Runtime); falls back to CPU.</summary>
    public bool UseCuda { get; set; }

    /// <summary>Swaps run at once; each one already uses every core inside OpenCV and ONNX Runtime.</summary>
    public int MaxConcurrentSwaps { get; set; } = 1;
}
