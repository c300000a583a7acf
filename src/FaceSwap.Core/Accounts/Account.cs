namespace FaceSwap.Core.Accounts;

public static class EngineNames
{
    public const string Discord = "discord";
    public const string Local = "local";
}

/// <summary>Daily credits as the InsightFaceSwap bot reports them.</summary>
public sealed record Credits(DateTimeOffset Timestamp, int Total, int Used);

public enum AccountHealth
{
    Ok,
    /// <summary>Discord answered 401: the user token no longer works.</summary>
    TokenInvalid,
    /// <summary>Discord asks for a captcha or a verification: the account is locked until a person acts.</summary>
    Locked,
    /// <summary>Discord refuses the account in its channel (403: missing access or permissions).</summary>
    Forbidden,
    /// <summary>The bot's daily credit limit is reached.</summary>
    CreditsExhausted,
}

/// <summary>
/// One place where commands run (the API calls it an account and keys it by channel): a Discord channel
/// with the InsightFaceSwap bot, driven by the operator's user token, or the built-in local engine.
/// </summary>
public sealed record Account
{
    public required long UserId { get; init; }
    public required string Channel { get; init; }
    public required string Engine { get; init; }
    public string? Server { get; init; }
    /// <summary>The Discord user token in clear; only in memory, encrypted at rest.</summary>
    public string? DiscordToken { get; init; }
    public Credits? Credits { get; init; }
    public AccountHealth Health { get; init; } = AccountHealth.Ok;
    public string? HealthDetail { get; init; }
    /// <summary>When <see cref="Health"/> last changed (daily credits renew at 00:00 UTC).</summary>
    public DateTimeOffset? HealthChanged { get; init; }

    /// <summary>
    /// Whether load balancing may pick this account now: its token works, it is not locked, and it has
    /// credits left today (an account that ran out on an earlier UTC day has been renewed since).
    /// </summary>
    public bool IsAvailable(DateTimeOffset now) => Health switch
    {
        AccountHealth.Ok => Credits is not { } credits || credits.Used < credits.Total || credits.Timestamp.UtcDateTime.Date < now.UtcDateTime.Date,
        AccountHealth.CreditsExhausted => HealthChanged is { } changed && changed.UtcDateTime.Date < now.UtcDateTime.Date,
        _ => false,
    };
    public DateTimeOffset Created { get; init; }
}
