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
                    // A captcha challenge: 400 with captcha_key and captcha_sitekey (hCaptcha), no JSON error code.
                    if (root.TryGetProperty("captcha_key", out _) || root.TryGetProperty("captcha_sitekey", out _))
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
        if (status == HttpStatusCode.Unauthorized)
        {
            return new DiscordUnauthorizedException(code, message, body);
        }
        if (status == HttpStatusCode.Forbidden && code is VerificationRequired or MissingAccess or MissingPermissions)
        {
            return new DiscordAccountBlockedException(status, code, message, body);
        }
        return new DiscordApiException(status, code, message, body);
    }

    // JSON error codes (developers/topics/opcodes-and-status-codes.mdx, "JSON Error Codes").
    public const int VerificationRequired = 40002;
    public const int MissingAccess = 50001;
    public const int MissingPermissions = 50013;
}

/// <summary>
/// Discord will not let this account act in the channel until a human does something: verify the
/// account (40002), regain access to the channel (50001), get the permission back (50013), or solve a
/// captcha. Retrying cannot help; the account is marked and skipped.
/// </summary>
public class DiscordAccountBlockedException(HttpStatusCode status, int? code, string message, string? body)
    : DiscordApiException(status, code, message, body)
{
    /// <summary>Locked: the account itself must be unlocked; otherwise forbidden in this channel.</summary>
    public virtual bool AccountLocked => Code == VerificationRequired;

    /// <summary>What the operator must do, in words.</summary>
    public virtual string Reason => Code switch
    {
        VerificationRequired => "Discord requires this account to verify itself (code 40002): log in with it in a browser and complete the verification",
        MissingAccess => "Discord denies this account access to the channel (code 50001): check that it is still a member of the server and can see the channel",
        MissingPermissions => "Discord says this account lacks a permission in the channel (code 50013): it needs to view the channel, read its history and use application commands",
        _ => $"Discord refused the account ({(int)Status}{(Code is { } c ? $", code {c}" : "")}: {DiscordMessage})",
    };
}

/// <summary>401: the user token does not work (revoked, password changed, mistyped).</summary>
public sealed class DiscordUnauthorizedException(int? code, string message, string? body)
    : DiscordApiException(HttpStatusCode.Unauthorized, code, message, body);

/// <summary>Discord wants a human to solve a captcha before it accepts more from this account.</summary>
public sealed class DiscordCaptchaRequiredException(HttpStatusCode status, int? code, string message, string? body)
    : DiscordAccountBlockedException(status, code, message, body)
{
    public override bool AccountLocked => true;

    public override string Reason =>
        "Discord asks this account to solve a captcha: log in with it in a browser, solve it, then retry";
}

/// <summary>Still rate limited after the configured number of retries, or asked to wait too long.</summary>
public sealed class DiscordRateLimitedException(TimeSpan retryAfter)
    : DiscordApiException(HttpStatusCode.TooManyRequests, null, $"rate limited (retry after {retryAfter.TotalSeconds:0.###} s)", null)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
