namespace FaceSwap.Core.Intake;

/// <summary>
/// Why a request is refused, in the API's error shape: <c>{"error", "errorDetails"?, "code"}</c>, plus the
/// busy channel's executing jobs for a 429. Every refusal of a request, whoever finds it (the request
/// reader, the intake, an account or webhook setting), is one of these, and the API renders it in one place.
/// </summary>
public sealed record Refusal(int Code, string Error, string? Details = null, IReadOnlyList<string>? ExecutingJobs = null)
{
    public static Refusal MissingParam(string name) => new(400, $"Required param {name} is missing or empty");

    public static Refusal TooLong(string name, int max) => new(400, $"Param {name} is too long (max {max} characters)");

    public static Refusal NotText(string name, bool numberToo = false) =>
        new(400, $"Param {name} must be a string", numberToo ? "Send it as a JSON string (or, for an id, a number)." : "Send it as a JSON string.");

    public static Refusal Busy(string channel, IReadOnlyList<string> executingJobs) =>
        new(429, $"Channel {channel} is busy executing a blocking job, wait until it completes and retry", null, executingJobs);

    public static Refusal ChannelNotFound(string? channel = null) => new(404, "Configuration not found for provided channel",
        channel is null ? null : $"Channel {channel} is not configured; see POST /account/{channel}.");

    public static Refusal NoConfiguration() => new(404, "Configuration not found. To create configuration use faceswap/account/channel.");
}

/// <summary>Thrown where a check fails deep in a call chain; the API catches it and renders its <see cref="Refusal"/>.</summary>
public sealed class RefusedException(Refusal refusal) : Exception(refusal.Error)
{
    public Refusal Refusal { get; } = refusal;

    public RefusedException(int code, string error, string? details = null) : this(new Refusal(code, error, details))
    {
    }
}

/// <summary>
/// The longest value each text field may have (docs/api-limits.md). A longer one is refused with
/// <c>Param NAME is too long (max N characters)</c> before anything is stored or echoed.
/// </summary>
public static class FieldLimits
{
    private static readonly Dictionary<string, int> Max = new(StringComparer.Ordinal)
    {
        // Commands (spec section 3).
        ["channel"] = 64,
        ["replyUrl"] = 1024,
        ["replyRef"] = 1024,
        ["idname"] = 200,
        ["saveid_idname"] = 10,
        ["swapid_idname"] = 10,
        ["targetMessageId"] = 64,
        ["prompt"] = 2000,
        ["a_background_photo_of"] = 1000,
        ["options"] = 500,
        // Accounts (spec section 2).
        ["discord"] = 256,
        ["server"] = 20,
        ["engine"] = 16,
    };

    /// <summary>Any other text field: read no further than this, then refuse (it would be ignored anyway).</summary>
    public const int OtherField = 1024;

    /// <summary>Form fields (text and files together) one command request may have.</summary>
    public const int MaxFormFields = 32;

    /// <summary>The largest JSON body of a request that takes JSON (headshot, accounts, webhook settings).</summary>
    public const int MaxJsonBytes = 64 * 1024;

    public static int For(string field) => Max.TryGetValue(field, out var max) ? max : OtherField;

    /// <summary>The refusal for a value longer than its field's limit, or null.</summary>
    public static Refusal? Check(string field, string value) =>
        value.Length > For(field) ? Refusal.TooLong(field, For(field)) : null;

    public static IReadOnlyDictionary<string, int> All => Max;
}
