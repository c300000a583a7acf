using Microsoft.Extensions.Options;
using OpenCvSharp;

namespace FaceSwap.Local;

/// <summary>
/// The local engine's face-swap service: decodes with the pixel limit, runs the pipeline on the
/// active tier, encodes with the synthetic-media label. Models load once, on first use. Thread-safe;
/// swaps beyond <see cref="LocalEngineOptions.MaxConcurrentSwaps"/> wait their turn.
/// </summary>
public sealed class LocalFaceSwapper : IDisposable
{
    private readonly Lazy<FaceModels> _models;
    private readonly Lazy<FaceSwapPipeline> _pipeline;
    private readonly SemaphoreSlim _slots;
    private readonly bool _ownsModels;

    public ImageCodec Codec { get; }
    public LocalEngineOptions Options { get; }

    public LocalFaceSwapper(IOptions<LocalEngineOptions> options) : this(options.Value) { }

    public LocalFaceSwapper(LocalEngineOptions options, FaceModels? models = null)
    {
        Options = options;
        Codec = new ImageCodec(options.MaxPixels, options.MaxGifFrames);
        _ownsModels = models is null; // models handed in are shared by the caller
        _models = models is not null
            ? new Lazy<FaceModels>(models)
            : new Lazy<FaceModels>(() => FaceModels.Load(new ModelLocations(options.ModelsDir, options.ShapePredictorPath, options.CascadesDir, options.UseCuda)));
        _pipeline = new Lazy<FaceSwapPipeline>(() => new FaceSwapPipeline(_models.Value));
        _slots = new SemaphoreSlim(Math.Max(1, options.MaxConcurrentSwaps));
    }

    public FaceSwapPipeline Pipeline => _pipeline.Value;

    /// <summary>Which tier is active and why, which model files were accepted or rejected, licence notes.</summary>
    public LocalCapabilities Capabilities => _models.Value.Capabilities;

    /// <summary>The most prominent face of <paramref name="source"/> onto the most prominent face of <paramref name="target"/>.</summary>
    public async Task<EncodedImage> SwapAsync(byte[] source, byte[] target, CancellationToken cancellationToken)
    {
        var face = await CaptureAsync(source, "source image", cancellationToken);
        return await SwapIntoAsync(target, [face], greedy: false, "target image", cancellationToken);
    }

    public Task<SavedFace> CaptureAsync(byte[] image, string what, CancellationToken cancellationToken) =>
        RunAsync(() =>
        {
            using var mat = Codec.Decode(image, what);
            return Pipeline.Capture(mat, what);
        }, cancellationToken);

    /// <summary>
    /// Swaps faces of an image (or every frame of a GIF) with <paramref name="faces"/>, one per face from
    /// left to right (null skips one). Output keeps the target's format family: JPEG, GIF, else PNG.
    /// </summary>
    public Task<EncodedImage> SwapIntoAsync(byte[] target, IReadOnlyList<SavedFace?> faces, bool greedy, string what, CancellationToken cancellationToken) =>
        RunAsync(() =>
        {
            var header = Codec.ReadHeader(target, what);
            if (header.Format == ImageFormat.Gif && header.FrameCount > 1) return SwapGif(target, faces, greedy, what, cancellationToken);
            using var mat = Codec.Decode(target, what);
            using var mask = Pipeline.SwapInto(mat, faces, greedy, what);
            return Codec.Encode(mat, header.Format);
        }, cancellationToken);

    private EncodedImage SwapGif(byte[] target, IReadOnlyList<SavedFace?> faces, bool greedy, string what, CancellationToken cancellationToken)
    {
        if (target.Length > Options.MaxGifBytes)
            throw new FaceSwapException(FaceSwapError.ImageTooLarge, $"The {what} is too large",
                $"The GIF has {target.Length:N0} bytes; at most {Options.MaxGifBytes:N0} are supported.");
        var frames = Codec.DecodeGifFrames(target, what);
        try
        {
            var swapped = 0;
            foreach (var frame in frames)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // A frame without a face (a cut, a blink of motion blur) stays as it was.
                var found = Pipeline.Analyse(frame);
                if (found.Count == 0) continue;
                using var mask = Pipeline.SwapInto(frame, faces, greedy, what, found);
                swapped++;
            }
            if (swapped == 0) throw FaceSwapException.NoFace(what);
            return Codec.EncodeGif(frames);
        }
        finally
        {
            foreach (var f in frames) f.Dispose();
        }
    }

    private async Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        try
        {
            return await Task.Run(work, cancellationToken);
        }
        finally
        {
            _slots.Release();
        }
    }

    public void Dispose()
    {
        if (_ownsModels && _models.IsValueCreated) _models.Value.Dispose();
        _slots.Dispose();
    }
}
