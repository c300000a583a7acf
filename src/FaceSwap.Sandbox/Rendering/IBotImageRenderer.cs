namespace FaceSwap.Sandbox.Rendering;

/// <summary>An image the emulated bot attaches to a reply.</summary>
public sealed record RenderedImage(byte[] Bytes, string ContentType, string FileExtension, int Width, int Height);

/// <summary>
/// Makes the emulated bot's result images. The default (<see cref="OpenCvBotImageRenderer"/>) is a plain image
/// operation, not a face swap; the server can plug its local engine in here.
/// </summary>
public interface IBotImageRenderer
{
    /// <summary>
    /// Whether the image holds a face the bot would accept. The bot answers saveid and swapid with a "no face" text
    /// when this is false.
    /// </summary>
    Task<bool> HasFaceAsync(byte[] image, CancellationToken ct);

    /// <summary>The swap result: <paramref name="faceImage"/> (a saved id's photo; null for "_", no swap) onto the target.</summary>
    Task<RenderedImage> RenderSwapAsync(byte[]? faceImage, byte[] targetImage, CancellationToken ct);

    /// <summary>A generated picture for headshot and changebg: the subject in a scene described by the prompt.</summary>
    Task<RenderedImage> RenderPromptAsync(byte[]? subjectImage, string prompt, CancellationToken ct);
}
