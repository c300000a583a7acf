using FaceSwap.Sandbox.Bot;

namespace FaceSwap.Sandbox;

/// <summary>
/// How Discord refuses an account it no longer trusts (developers/topics/opcodes-and-status-codes.mdx: HTTP 401 and
/// 403, JSON codes 40002, 50001, 50013), or a captcha challenge (400 with <c>captcha_key</c>; not in Discord's docs,
/// shape as users report it: github.com/avengy/hcaptcha-bypass-discord issue 8, Trollicus/effective-invention issue 6).
/// </summary>
public enum AccountRefusal
{
    /// <summary>401 <c>{"message":"401: Unauthorized","code":0}</c>: the token is no longer valid.</summary>
    Unauthorized,
    /// <summary>403 code 40002: "You need to verify your account in order to perform this action".</summary>
    VerificationRequired,
    /// <summary>403 code 50001: Missing Access.</summary>
    MissingAccess,
    /// <summary>403 code 50013: Missing Permissions.</summary>
    MissingPermissions,
    /// <summary>400 <c>{"captcha_key":["captcha-required"],"captcha_sitekey":…,"captcha_service":"hcaptcha",…}</c>.</summary>
    Captcha,
}

/// <summary>The snake_case names the control API uses for <see cref="AccountRefusal"/>.</summary>
public static class AccountRefusals
{
    public static readonly IReadOnlyList<string> Names = Enum.GetValues<AccountRefusal>().Select(NameOf).ToArray();

    public static string NameOf(AccountRefusal refusal) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(refusal.ToString());

    public static AccountRefusal? Parse(string? name) =>
        Enum.GetValues<AccountRefusal>().Cast<AccountRefusal?>().FirstOrDefault(r => NameOf(r!.Value) == name);
}

/// <summary>
/// An armed HTTP fault: the next requests to a route (or any route), with a token (or any token), answer 429, 5xx,
/// or an account refusal.
/// </summary>
public sealed record HttpFault(string Kind, int Remaining, string? Route, int StatusCode, TimeSpan RetryAfter, bool Global,
    AccountRefusal? Refusal = null, string? Token = null);

public sealed record FaultSnapshot(
    IReadOnlyList<HttpFault> HttpFaults,
    TimeSpan BotReplyDelay,
    IReadOnlyList<ReplyPattern> ForcedPatterns,
    int ModeratedReplies,
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
    private readonly Queue<ReplyPattern> _forcedPatterns = new();
    private TimeSpan _botReplyDelay;
    private int _moderatedReplies;

    /// <summary>The next <paramref name="count"/> requests to <paramref name="route"/> (null: any route) answer 429.</summary>
    public void RateLimitNext(int count, TimeSpan retryAfter, string? route = null, bool global = false) =>
        Arm(new HttpFault("rate_limit", count, route, 429, retryAfter, global));

    /// <summary>The next <paramref name="count"/> requests to <paramref name="route"/> (null: any route) answer <paramref name="statusCode"/>.</summary>
    public void FailNext(int count, int statusCode = 503, string? route = null)
    {
        if (statusCode is < 500 or > 599) throw new ArgumentOutOfRangeException(nameof(statusCode), "a server error is 5xx");
        Arm(new HttpFault("server_error", count, route, statusCode, TimeSpan.Zero, false));
    }

    /// <summary>
    /// The next <paramref name="count"/> requests to <paramref name="route"/> (null: any route) made with
    /// <paramref name="token"/> (null: any token) are refused as <paramref name="refusal"/> and not processed.
    /// </summary>
    public void RefuseNext(AccountRefusal refusal, int count = 1, string? route = null, string? token = null)
    {
        int status = refusal switch { AccountRefusal.Unauthorized => 401, AccountRefusal.Captcha => 400, _ => 403 };
        Arm(new HttpFault("refuse", count, route, status, TimeSpan.Zero, false, refusal, token));
    }

    /// <summary>Added before every bot reply (and before async results), on top of the configured reply delay.</summary>
    public TimeSpan BotReplyDelay
    {
        get { lock (_gate) return _botReplyDelay; }
        set { lock (_gate) _botReplyDelay = value < TimeSpan.Zero ? TimeSpan.Zero : value; }
    }

    /// <summary>The next <paramref name="count"/> interactions are answered in <paramref name="pattern"/>, whatever the plan draws.</summary>
    public void PlayNext(ReplyPattern pattern, int count = 1)
    {
        Positive(count);
        lock (_gate) for (int i = 0; i < count; i++) _forcedPatterns.Enqueue(pattern);
    }

    /// <summary>The bot does not respond to the next <paramref name="count"/> interactions (<see cref="ReplyPattern.NoResponse"/>).</summary>
    public void DropNextReplies(int count = 1) => PlayNext(ReplyPattern.NoResponse, count);

    /// <summary>The bot answers the next <paramref name="count"/> commands with the moderation text instead of running them.</summary>
    public void ModerateNext(int count = 1) { lock (_gate) _moderatedReplies += Positive(count); }

    /// <summary>Every request with this token answers 401 until <see cref="RestoreToken"/>, as after a password change.</summary>
    public void InvalidateToken(string token) { lock (_gate) _invalidTokens.Add(token); }
    public void RestoreToken(string token) { lock (_gate) _invalidTokens.Remove(token); }

    public void Clear()
    {
        lock (_gate)
        {
            _httpFaults.Clear();
            _invalidTokens.Clear();
            _forcedPatterns.Clear();
            _botReplyDelay = TimeSpan.Zero;
            _moderatedReplies = 0;
        }
    }

    public FaultSnapshot Snapshot()
    {
        lock (_gate)
            return new([.. _httpFaults], _botReplyDelay, [.. _forcedPatterns], _moderatedReplies, [.. _invalidTokens]);
    }

    internal bool IsTokenInvalid(string token)
    {
        lock (_gate) return _invalidTokens.Contains(token);
    }

    /// <summary>Fires the first armed HTTP fault that matches the route, counting it down.</summary>
    internal HttpFault? TakeHttpFault(string route, string token)
    {
        lock (_gate)
        {
            int index = _httpFaults.FindIndex(f => (f.Route is null || f.Route == route) && (f.Token is null || f.Token == token));
            if (index < 0) return null;
            var fault = _httpFaults[index];
            if (fault.Remaining <= 1) _httpFaults.RemoveAt(index);
            else _httpFaults[index] = fault with { Remaining = fault.Remaining - 1 };
            return fault;
        }
    }

    internal ReplyPattern? TakeForcedPattern()
    {
        lock (_gate) return _forcedPatterns.TryDequeue(out var pattern) ? pattern : null;
    }

    internal bool TakeModeration()
    {
        lock (_gate)
        {
            if (_moderatedReplies == 0) return false;
            _moderatedReplies--;
            return true;
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
