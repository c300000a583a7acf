using System.Text.Json.Serialization;
using FaceSwap.Core.Intake;

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

    public static IResult MissingParam(string name) => Refusal.MissingParam(name).ToResult();

    public static IResult JobNotFound(string jobId) => Result(404, $"Unable to locate job {jobId}");

    public static IResult JobExpired() => Result(410, "Job has expired");

    public static IResult NoJobId() => Result(400, "Query param jobid not provided");

    public static IResult NoConfiguration() => Refusal.NoConfiguration().ToResult();

}

/// <summary>429 for a busy channel: the error shape plus the jobs it is busy with.</summary>
public sealed record BusyError(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("code")] int Code,
    [property: JsonPropertyName("executingJobs")] IReadOnlyList<string> ExecutingJobs);

/// <summary>The one place a <see cref="Refusal"/> becomes an HTTP answer.</summary>
public static class Refusals
{
    public static IResult ToResult(this Refusal refusal) => refusal.ExecutingJobs is { } executing
        ? TypedResults.Json(new BusyError(refusal.Error, refusal.Code, executing), statusCode: refusal.Code)
        : TypedResults.Json(new ApiError(refusal.Error, refusal.Details, refusal.Code), statusCode: refusal.Code);
}
