using System.Net;
using System.Text.Json;

namespace FaceSwap.Discord.Rest;

/// <summary>Discord refused a request; <see cref="Code"/> is Discord's JSON error code when it sent one.</summary>
public class DiscordApiException(HttpStatusCode status, int? code, string message, string? body)
    : Exception($"Discord answered {(int)status}: {message}")
{
    public HttpStatusCode Status { get; } = status;
    public int? Code { get; } = code;
    public string DiscordMessage { get; } = message;
    public string? Body { get; } = body;

    internal static DiscordApiException From(HttpStatusCode status, string? body)
    {
        int? code = null;
        var message = status.ToString();
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                using var doc = JsonDocument.Parse(body);
                var root = doc.RootElement;
                if (root.ValueKind == JsonValueKind.Object)
                {
                    if (root.TryGetProperty("code", out var c) && c.TryGetInt32(out var ci)) code = ci;
                    if (root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String) message = m.GetString()!;
                    if (root.TryGetProperty("captcha_key", out _))
                    {
                        return new DiscordCaptchaRequiredException(status, code, message, body);
                    }
                }
            }
            catch (JsonException)
            {
                message = body.Length > 200 ? body[..200] : body;
            }
        }
        return status == HttpStatusCode.Unauthorized
            ? new DiscordUnauthorizedException(code, message, body)
            : new DiscordApiException(status, code, message, body);
    }
}

/// <summary>401: the user token does not work (revoked, password changed, mistyped).</summary>
public sealed class DiscordUnauthorizedException(int? code, string message, string? body)
    : DiscordApiException(HttpStatusCode.Unauthorized, code, message, body);

/// <summary>Discord wants a human to solve a captcha before it accepts more from this account.</summary>
public sealed class DiscordCaptchaRequiredException(HttpStatusCode status, int? code, string message, string? body)
    : DiscordApiException(status, code, message, body);

/// <summary>Still rate limited after the configured number of retries, or asked to wait too long.</summary>
public sealed class DiscordRateLimitedException(TimeSpan retryAfter)
    : DiscordApiException(HttpStatusCode.TooManyRequests, null, $"rate limited (retry after {retryAfter.TotalSeconds:0.###} s)", null)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
