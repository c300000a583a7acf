using FaceSwap.Local;
using FaceSwap.Sandbox.Rendering;

namespace FaceSwap.Server.Local;

/// <summary>
/// The emulated bot's result images, made by the local engine: a sandbox swap is a real face swap. Where the
/// engine finds no face (the synthetic pictures tests like to send), the bot falls back to the sandbox's
/// plain documented image operation, so the emulator keeps answering as Discord's bot would.
/// </summary>
public sealed class LocalBotImageRenderer(OpenCvBotImageRenderer plain) : IBotImageRenderer
{
    private LocalFaceSwapper? _swapper;

    /// <summary>The sandbox starts before the server's services exist; the engine is attached once they do.</summary>
    public void Attach(LocalFaceSwapper swapper) => _swapper = swapper;

    public Task<bool> HasFaceAsync(byte[] image, CancellationToken ct) => plain.HasFaceAsync(image, ct);

    public async Task<RenderedImage> RenderSwapAsync(byte[]? faceImage, byte[] targetImage, CancellationToken ct)
    {
        if (_swapper is { } swapper && faceImage is not null)
        {
            try
            {
                var swapped = await swapper.SwapAsync(faceImage, targetImage, ct);
                var extension = swapped.ContentType switch { "image/jpeg" => "jpg", "image/gif" => "gif", _ => "png" };
                return new RenderedImage(swapped.Content, swapped.ContentType, extension, swapped.Width, swapped.Height);
            }
            catch (FaceSwapException)
            {
                // No face the engine can use: the plain operation below still gives the bot an answer.
            }
        }
        return await plain.RenderSwapAsync(faceImage, targetImage, ct);
    }

    public Task<RenderedImage> RenderPromptAsync(byte[]? subjectImage, string prompt, CancellationToken ct) =>
        plain.RenderPromptAsync(subjectImage, prompt, ct);
}
