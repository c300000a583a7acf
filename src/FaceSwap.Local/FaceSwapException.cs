namespace FaceSwap.Local;

/// <summary>Why a swap could not be made; the engine maps each kind to a failed job.</summary>
public enum FaceSwapError
{
    NoFace,
    TooManyFacesRequested,
    UnreadableImage,
    ImageTooLarge,
    UnsupportedFormat,
    ModelInvalid,
    ModelMissing,
    UnknownId,
    InvalidRequest,
    Unsupported,
    /// <summary>The target face is turned too far from the saved face for the classical (2-D) swap.</summary>
    FaceTurnedTooFar,
}

/// <summary>
/// A failure a person can act on (a photo without a face, a file that is not an image, a model file that
/// is not what its name says). <see cref="Exception.Message"/> is short (the job's <c>error</c>);
/// <see cref="Details"/> says what was found and what to do (the job's <c>errorDetails</c>).
/// </summary>
public sealed class FaceSwapException(FaceSwapError kind, string message, string? details = null, Exception? inner = null)
    : Exception(message, inner)
{
    public FaceSwapError Kind { get; } = kind;
    public string Details { get; } = details ?? message;

    internal static FaceSwapException NoFace(string which) => new(FaceSwapError.NoFace,
        $"No face found in the {which}",
        $"No face was found in the {which}. Use a photo where the face is clearly visible, frontal and at least about 40 pixels wide.");
}
