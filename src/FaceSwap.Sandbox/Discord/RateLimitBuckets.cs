using System.Security.Cryptography;
using System.Text;

namespace FaceSwap.Sandbox.Discord;

/// <summary>How many requests one bucket allows per window.</summary>
public sealed record RateLimitPolicy(int Limit, TimeSpan Window);

/// <summary>The outcome of counting one request, with everything the rate-limit headers need.</summary>
public sealed record RateLimitDecision(bool Allowed, bool Global, int Limit, int Remaining, DateTimeOffset ResetAt, TimeSpan ResetAfter, string Bucket);

/// <summary>
/// Discord's per-route limits: a bucket per (token, route, top-level resource such as the channel id), counted in a
/// fixed window that starts with the bucket's first request, plus a global per-token limit per second. The bucket
/// name in X-RateLimit-Bucket leaves the top-level resource out, as Discord's does.
/// </summary>
public sealed class RateLimitBuckets
{
    private sealed class Window
    {
        public DateTimeOffset ResetAt;
        public int Used;
    }

    private const int PruneThreshold = 4096;
    private readonly Dictionary<(string Token, string Route, string Major), Window> _routes = [];
    private readonly Dictionary<string, Window> _global = [];
    private readonly Lock _gate = new();
    private readonly TimeProvider _clock;
    private readonly int _globalPerSecond;

    public RateLimitBuckets(TimeProvider clock, int globalPerSecond)
    {
        _clock = clock;
        _globalPerSecond = globalPerSecond;
    }

    public static string BucketName(string route) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(route)))[..32];

    public RateLimitDecision Take(string token, string route, string major, RateLimitPolicy policy)
    {
        var now = _clock.GetUtcNow();
        lock (_gate)
        {
            if (_routes.Count > PruneThreshold) Prune(now);

            var global = Current(_global, token, now, TimeSpan.FromSeconds(1));
            var bucket = Current(_routes, (token, route, major), now, policy.Window);
            string name = BucketName(route);

            if (global.Used >= _globalPerSecond)
                return new(false, true, policy.Limit, Math.Max(0, policy.Limit - bucket.Used), global.ResetAt, global.ResetAt - now, name);
            if (bucket.Used >= policy.Limit)
                return new(false, false, policy.Limit, 0, bucket.ResetAt, bucket.ResetAt - now, name);

            global.Used++;
            bucket.Used++;
            return new(true, false, policy.Limit, policy.Limit - bucket.Used, bucket.ResetAt, bucket.ResetAt - now, name);
        }
    }

    private static Window Current<TKey>(Dictionary<TKey, Window> windows, TKey key, DateTimeOffset now, TimeSpan length) where TKey : notnull
    {
        if (!windows.TryGetValue(key, out var window) || window.ResetAt <= now)
        {
            window = new Window { ResetAt = now + length };
            windows[key] = window;
        }
        return window;
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var key in _routes.Where(p => p.Value.ResetAt <= now).Select(p => p.Key).ToList()) _routes.Remove(key);
        foreach (var key in _global.Where(p => p.Value.ResetAt <= now).Select(p => p.Key).ToList()) _global.Remove(key);
    }
}
