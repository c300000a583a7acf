using System.Collections.Concurrent;

namespace FaceSwap.Discord.Rest;

/// <summary>
/// Remembers Discord's buckets per token so a request waits before it would be refused, instead of
/// collecting 429s. Routes map to buckets as Discord reports them (X-RateLimit-Bucket); a route seen for
/// the first time goes ahead and learns its bucket from the answer.
/// </summary>
public sealed class RateLimitGate(TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Token, string Route), string> bucketOfRoute = new();
    private readonly ConcurrentDictionary<(string Token, string Bucket), DateTimeOffset> blockedUntil = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> globalBlockedUntil = new();

    public RateLimitGate() : this(TimeProvider.System) { }

    /// <summary>How long a request on <paramref name="route"/> must wait now (zero when it may go).</summary>
    public TimeSpan DelayFor(string token, string route)
    {
        var now = time.GetUtcNow();
        var until = DateTimeOffset.MinValue;
        if (globalBlockedUntil.TryGetValue(token, out var g))
        {
            until = g;
        }
        var bucket = bucketOfRoute.TryGetValue((token, route), out var b) ? b : route;
        if (blockedUntil.TryGetValue((token, bucket), out var r) && r > until)
        {
            until = r;
        }
        return until > now ? until - now : TimeSpan.Zero;
    }

    public void Observe(string token, string route, RateLimitInfo info)
    {
        var bucket = route;
        if (!string.IsNullOrEmpty(info.Bucket))
        {
            bucketOfRoute[(token, route)] = info.Bucket;
            bucket = info.Bucket;
        }
        if (info.IsExhausted)
        {
            blockedUntil[(token, bucket)] = time.GetUtcNow() + info.ResetAfter!.Value;
        }
        else
        {
            blockedUntil.TryRemove((token, bucket), out _);
        }
    }

    public void ObserveRetryAfter(string token, string route, RetryAfter retry)
    {
        var until = time.GetUtcNow() + retry.Delay;
        if (retry.Global)
        {
            globalBlockedUntil[token] = until;
            return;
        }
        var bucket = bucketOfRoute.TryGetValue((token, route), out var b) ? b : route;
        blockedUntil[(token, bucket)] = until;
    }
}
