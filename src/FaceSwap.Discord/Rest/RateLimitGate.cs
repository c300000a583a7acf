using System.Collections.Concurrent;

namespace FaceSwap.Discord.Rest;

/// <summary>
/// Remembers Discord's buckets per token so a request waits before it would be refused, instead of
/// collecting 429s. Routes map to buckets as Discord reports them (X-RateLimit-Bucket); a route seen for
/// the first time goes ahead and learns its bucket from the answer. Each request that goes ahead takes
/// one from the bucket's remaining count, so concurrent requests (a poll and a job's cursor read) do
/// not both spend the last one.
/// </summary>
public sealed class RateLimitGate(TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Token, string Route), string> bucketOfRoute = new();
    private readonly ConcurrentDictionary<(string Token, string Bucket), BucketState> buckets = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> globalBlockedUntil = new();

    public RateLimitGate() : this(TimeProvider.System) { }

    /// <summary>
    /// Zero when a request on <paramref name="route"/> may go now (and counts it against the bucket);
    /// otherwise how long to wait before asking again.
    /// </summary>
    public TimeSpan Reserve(string token, string route)
    {
        var now = time.GetUtcNow();
        if (globalBlockedUntil.TryGetValue(token, out var global) && global > now)
        {
            return global - now;
        }
        if (!buckets.TryGetValue((token, BucketOf(token, route)), out var bucket))
        {
            return TimeSpan.Zero;
        }
        lock (bucket)
        {
            if (bucket.ResetAt <= now)
            {
                bucket.Remaining = null; // a new window: unknown until the next answer says
                return TimeSpan.Zero;
            }
            if (bucket.Remaining is <= 0)
            {
                return bucket.ResetAt - now;
            }
            bucket.Remaining--;
            return TimeSpan.Zero;
        }
    }

    /// <summary>How long a request on <paramref name="route"/> would have to wait now, without reserving.</summary>
    public TimeSpan DelayFor(string token, string route)
    {
        var now = time.GetUtcNow();
        var until = globalBlockedUntil.TryGetValue(token, out var g) ? g : DateTimeOffset.MinValue;
        if (buckets.TryGetValue((token, BucketOf(token, route)), out var bucket))
        {
            lock (bucket)
            {
                if (bucket.Remaining is <= 0 && bucket.ResetAt > until)
                {
                    until = bucket.ResetAt;
                }
            }
        }
        return until > now ? until - now : TimeSpan.Zero;
    }

    public void Observe(string token, string route, RateLimitInfo info)
    {
        if (!string.IsNullOrEmpty(info.Bucket))
        {
            bucketOfRoute[(token, route)] = info.Bucket;
        }
        if (info.Remaining is null || info.ResetAfter is null)
        {
            return;
        }
        var bucket = buckets.GetOrAdd((token, BucketOf(token, route)), _ => new BucketState());
        lock (bucket)
        {
            bucket.Remaining = info.Remaining;
            bucket.ResetAt = time.GetUtcNow() + info.ResetAfter.Value;
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
        var bucket = buckets.GetOrAdd((token, BucketOf(token, route)), _ => new BucketState());
        lock (bucket)
        {
            bucket.Remaining = 0;
            bucket.ResetAt = until;
        }
    }

    private string BucketOf(string token, string route) =>
        bucketOfRoute.TryGetValue((token, route), out var bucket) ? bucket : route;

    private sealed class BucketState
    {
        public int? Remaining { get; set; }
        public DateTimeOffset ResetAt { get; set; }
    }
}
