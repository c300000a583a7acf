namespace FaceSwap.Sandbox;

/// <summary>What the bot does with one interaction when a fault is armed.</summary>
public enum BotFault
{
    None,
    /// <summary>The bot never answers: no message appears.</summary>
    MissingReply,
    /// <summary>The bot answers with the moderation text instead of a result.</summary>
    Moderated,
    /// <summary>The bot answers "The application did not respond", as an overloaded bot does.</summary>
    DidNotRespond,
}

/// <summary>An armed HTTP fault: the next requests to a route (or any route) answer 429 or 5xx.</summary>
public sealed record HttpFault(string Kind, int Remaining, string? Route, int StatusCode, TimeSpan RetryAfter, bool Global);

public sealed record FaultSnapshot(
    IReadOnlyList<HttpFault> HttpFaults,
    TimeSpan BotReplyDelay,
    int MissingReplies,
    int ModeratedReplies,
    int DidNotRespondReplies,
    IReadOnlyList<string> InvalidTokens);

/// <summary>
/// Faults a test (or a developer, over <c>POST /_sandbox/faults</c>) arms so the engine's failure paths run.
/// Counted faults disarm themselves after they fired the given number of times. Thread-safe.
/// </summary>
public sealed class SandboxFaults
{
    private readonly Lock _gate = new();
    private readonly List<HttpFault> _httpFaults = [];
    private readonly HashSet<string> _invalidTokens = [];
    private TimeSpan _botReplyDelay;
    private int _missingReplies, _moderatedReplies, _didNotRespondReplies;

    /// <summary>The next <paramref name="count"/> requests to <paramref name="route"/> (null: any route) answer 429.</summary>
    public void RateLimitNext(int count, TimeSpan retryAfter, string? route = null, bool global = false) =>
        Arm(new HttpFault("rate_limit", count, route, 429, retryAfter, global));

    /// <summary>The next <paramref name="count"/> requests to <paramref name="route"/> (null: any route) answer <paramref name="statusCode"/>.</summary>
    public void FailNext(int count, int statusCode = 503, string? route = null)
    {
        if (statusCode is < 500 or > 599) throw new ArgumentOutOfRangeException(nameof(statusCode), "a server error is 5xx");
        Arm(new HttpFault("server_error", count, route, statusCode, TimeSpan.Zero, false));
    }

    /// <summary>Added before every bot reply (and before async results), on top of the configured reply delay.</summary>
    public TimeSpan BotReplyDelay
    {
        get { lock (_gate) return _botReplyDelay; }
        set { lock (_gate) _botReplyDelay = value < TimeSpan.Zero ? TimeSpan.Zero : value; }
    }

    public void DropNextReplies(int count = 1) { lock (_gate) _missingReplies += Positive(count); }
    public void ModerateNext(int count = 1) { lock (_gate) _moderatedReplies += Positive(count); }
    public void DoNotRespondNext(int count = 1) { lock (_gate) _didNotRespondReplies += Positive(count); }

    /// <summary>Every request with this token answers 401 until <see cref="RestoreToken"/>, as after a password change.</summary>
    public void InvalidateToken(string token) { lock (_gate) _invalidTokens.Add(token); }
    public void RestoreToken(string token) { lock (_gate) _invalidTokens.Remove(token); }

    public void Clear()
    {
        lock (_gate)
        {
            _httpFaults.Clear();
            _invalidTokens.Clear();
            _botReplyDelay = TimeSpan.Zero;
            _missingReplies = _moderatedReplies = _didNotRespondReplies = 0;
        }
    }

    public FaultSnapshot Snapshot()
    {
        lock (_gate)
            return new([.. _httpFaults], _botReplyDelay, _missingReplies, _moderatedReplies, _didNotRespondReplies, [.. _invalidTokens]);
    }

    internal bool IsTokenInvalid(string token)
    {
        lock (_gate) return _invalidTokens.Contains(token);
    }

    /// <summary>Fires the first armed HTTP fault that matches the route, counting it down.</summary>
    internal HttpFault? TakeHttpFault(string route)
    {
        lock (_gate)
        {
            int index = _httpFaults.FindIndex(f => f.Route is null || f.Route == route);
            if (index < 0) return null;
            var fault = _httpFaults[index];
            if (fault.Remaining <= 1) _httpFaults.RemoveAt(index);
            else _httpFaults[index] = fault with { Remaining = fault.Remaining - 1 };
            return fault;
        }
    }

    /// <summary>Decides the fate of one interaction; a missing reply wins over moderation, which wins over a timeout.</summary>
    internal BotFault TakeBotFault()
    {
        lock (_gate)
        {
            if (_missingReplies > 0) { _missingReplies--; return BotFault.MissingReply; }
            if (_moderatedReplies > 0) { _moderatedReplies--; return BotFault.Moderated; }
            if (_didNotRespondReplies > 0) { _didNotRespondReplies--; return BotFault.DidNotRespond; }
            return BotFault.None;
        }
    }

    private void Arm(HttpFault fault)
    {
        Positive(fault.Remaining);
        if (fault.Route is not null && !SandboxRoutes.All.Contains(fault.Route))
            throw new ArgumentException($"unknown route '{fault.Route}'; one of: {string.Join(", ", SandboxRoutes.All)}", nameof(fault));
        lock (_gate) _httpFaults.Add(fault);
    }

    private static int Positive(int count) =>
        count > 0 ? count : throw new ArgumentOutOfRangeException(nameof(count), "count must be at least 1");
}
