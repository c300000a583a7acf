using System.Net;
using System.Text.Json;

namespace FaceSwap.Client;

/// <summary>
/// The API refused a request: its error shape <c>{"error", "errorDetails"?, "code"}</c>, plus the jobs a busy
/// channel is running (429) where the answer lists them.
/// </summary>
public sealed class FaceSwapApiException : Exception
{
    public FaceSwapApiException(int code, string error, string? errorDetails, IReadOnlyList<string>? executingJobs = null, string? retryAfter = null)
        : base(errorDetails is null ? $"{code}: {error}" : $"{code}: {error} ({errorDetails})")
    {
        Code = code;
        Error = error;
        ErrorDetails = errorDetails;
        ExecutingJobs = executingJobs ?? [];
        RetryAfter = retryAfter;
    }

    /// <summary>The HTTP status (the body's <c>code</c>).</summary>
    public int Code { get; }
    public HttpStatusCode StatusCode => (HttpStatusCode)Code;
    /// <summary>The API's error text, e.g. <c>Unable to locate job …</c>.</summary>
    public string Error { get; }
    public string? ErrorDetails { get; }
    /// <summary>429 busy: the jobs the channel is running.</summary>
    public IReadOnlyList<string> ExecutingJobs { get; }
    public string? RetryAfter { get; }

    /// <summary>Reads an error answer; a body that is not the API's shape keeps its HTTP status and a short excerpt.</summary>
    internal static async Task<FaceSwapApiException> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var code = (int)response.StatusCode;
        var text = response.Content is null ? "" : await response.Content.ReadAsStringAsync(cancellationToken);
        var retryAfter = response.Headers.RetryAfter?.ToString();
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String)
            {
                var details = root.TryGetProperty("errorDetails", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                var executing = root.TryGetProperty("executingJobs", out var e) && e.ValueKind == JsonValueKind.Array
                    ? e.EnumerateArray().Where(j => j.ValueKind == JsonValueKind.String).Select(j => j.GetString()!).ToList()
                    : null;
                return new FaceSwapApiException(code, error.GetString()!, details, executing, retryAfter);
            }
        }
        catch (JsonException)
        {
        }
        var excerpt = text.Length > 200 ? text[..200] + "…" : text;
        return new FaceSwapApiException(code, response.ReasonPhrase ?? $"HTTP {code}", excerpt.Length > 0 ? excerpt : null, null, retryAfter);
    }
}
