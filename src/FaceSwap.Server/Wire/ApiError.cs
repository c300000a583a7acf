using System.Text.Json.Serialization;

namespace FaceSwap.Server.Wire;

/// <summary>The API's one error shape: <c>{"error", "errorDetails"?, "code"}</c>.</summary>
public sealed record ApiError(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("errorDetails"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ErrorDetails,
    [property: JsonPropertyName("code")] int Code)
{
    public static IResult Result(int code, string error, string? details = null) =>
        Results.Json(new ApiError(error, details, code), statusCode: code);

    public static IResult Unauthorized() => Result(401, "Unauthorized");

    public static IResult NoSubscription() => Result(402, "Account has no subscription or subscription expired");

    public static IResult MissingParam(string name) => Result(400, $"Required param {name} is missing or empty");

    public static IResult JobNotFound(string jobId) => Result(404, $"Unable to locate job {jobId}");

    public static IResult JobExpired() => Result(410, "Job has expired");

    public static IResult NoJobId() => Result(400, "Query param jobid not provided");

    public static IResult NoConfiguration() =>
        Result(404, "Configuration not found. To create configuration use faceswap/account/channel.");

    public static IResult ChannelNotFound() => Result(404, "Configuration not found for provided channel");
}

/// <summary>429 for a busy channel: the error shape plus the jobs it is busy with.</summary>
public sealed record BusyError(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("code")] int Code,
    [property: JsonPropertyName("executingJobs")] IReadOnlyList<string> ExecutingJobs)
{
    public static IResult Result(string channel, IReadOnlyList<string> executingJobs) => Results.Json(
        new BusyError($"Channel {channel} is busy executing a blocking job, wait until it completes and retry", 429, executingJobs),
        statusCode: 429);
}

/// <summary>Thrown by request validation; the endpoint filter turns it into the API's error shape.</summary>
public sealed class ApiException(int code, string error, string? details = null) : Exception(error)
{
    public int Code { get; } = code;
    public string? Details { get; } = details;
    public IResult ToResult() => ApiError.Result(Code, Message, Details);
}
