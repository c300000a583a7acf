using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace FaceSwap.Discord.Rest;

/// <summary>
/// What Discord's X-RateLimit-* headers say about the bucket a request fell into
/// (discord-api-docs, docs/topics/rate-limits.md). Missing headers leave fields null.
/// </summary>
public sealed record RateLimitInfo(
    int? Limit,
    int? Remaining,
    TimeSpan? ResetAfter,
    string? Bucket,
    bool Global,
    string? Scope)
{
    public static RateLimitInfo Parse(HttpResponseHeaders headers, DateTimeOffset now) => Parse(name =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null, now);

    public static RateLimitInfo Parse(Func<string, string?> header, DateTimeOffset now)
    {
        int? Int(string name) =>
            int.TryParse(header(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

        // Reset-After is relative, so it does not depend on our clock agreeing with Discord's; Reset
        // (epoch seconds) is only the fallback.
        TimeSpan? resetAfter = null;
        if (double.TryParse(header("X-RateLimit-Reset-After"), NumberStyles.Float, CultureInfo.InvariantCulture, out var after))
        {
            resetAfter = TimeSpan.FromSeconds(Math.Max(0, after));
        }
        else if (double.TryParse(header("X-RateLimit-Reset"), NumberStyles.Float, CultureInfo.InvariantCulture, out var reset))
        {
            var delta = DateTimeOffset.FromUnixTimeMilliseconds((long)(reset * 1000)) - now;
            resetAfter = delta > TimeSpan.Zero ? delta : TimeSpan.Zero;
        }

        return new RateLimitInfo(
            Int("X-RateLimit-Limit"),
            Int("X-RateLimit-Remaining"),
            resetAfter,
            header("X-RateLimit-Bucket"),
            string.Equals(header("X-RateLimit-Global"), "true", StringComparison.OrdinalIgnoreCase),
            header("X-RateLimit-Scope"));
    }

    /// <summary>True when the bucket is spent and the next request must wait <see cref="ResetAfter"/>.</summary>
    public bool IsExhausted => Remaining is 0 && ResetAfter is { } r && r > TimeSpan.Zero;
}

/// <summary>How long a 429 asks us to wait, and whether the limit is global to the token.</summary>
public sealed record RetryAfter(TimeSpan Delay, bool Global)
{
    /// <summary>
    /// The body's <c>retry_after</c> (seconds, fractional) wins; the <c>Retry-After</c> header (whole
    /// seconds) is the fallback; without either, one second.
    /// </summary>
    public static RetryAfter Parse(string? body, Func<string, string?> header)
    {
        double? seconds = null;
        var global = string.Equals(header("X-RateLimit-Global"), "true", StringComparison.OrdinalIgnoreCase);
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                using var doc = JsonDocument.Parse(body);
                if (doc.RootElement.ValueKind == JsonValueKind.Object)
                {
                    if (doc.RootElement.TryGetProperty("retry_after", out var ra) && ra.ValueKind == JsonValueKind.Number)
                    {
                        seconds = ra.GetDouble();
                    }
                    if (doc.RootElement.TryGetProperty("global", out var g) && g.ValueKind == JsonValueKind.True)
                    {
                        global = true;
                    }
                }
            }
            catch (JsonException)
            {
                // Cloudflare answers 429 with HTML; fall back to the header.
            }
        }

        if (seconds is null &&
            double.TryParse(header("Retry-After"), NumberStyles.Float, CultureInfo.InvariantCulture, out var h))
        {
            seconds = h;
        }

        return new RetryAfter(TimeSpan.FromSeconds(Math.Max(0, seconds ?? 1)), global);
    }

    public static RetryAfter Parse(string? body, HttpResponseHeaders headers) => Parse(body, name =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null);
}
