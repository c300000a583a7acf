namespace FaceSwap.Core.Webhooks;

/// <summary>Which job changes a user's replyUrl hears of, besides the terminal one it always hears of.</summary>
[Flags]
public enum ReplyEvents
{
    /// <summary>The default, as the vendor's docs promise: one call, when the job completes, fails, is moderated or cancelled.</summary>
    Final = 0,
    /// <summary>Opt-in: also when an async job starts.</summary>
    Started = 1,
    /// <summary>Opt-in: also at each new progress message of an async job.</summary>
    Progress = 2,
}

public static class ReplyEventNames
{
    public static readonly IReadOnlyDictionary<string, ReplyEvents> ByName = new Dictionary<string, ReplyEvents>(StringComparer.Ordinal)
    {
        ["started"] = ReplyEvents.Started,
        ["progress"] = ReplyEvents.Progress,
    };

    public static IEnumerable<string> Names(ReplyEvents events) => ByName.Where(e => events.HasFlag(e.Value)).Select(e => e.Key);
}

/// <summary>
/// Judges a replyUrl where it is given (a command, the default setting): the same egress rules the deliverer
/// applies at connect, names resolved now, so a receiver that could never be reached is refused at once.
/// </summary>
public interface IReplyUrlGuard
{
    /// <summary>Null when deliveries may reach <paramref name="replyUrl"/>; else a 400 that names the setting that would allow it.</summary>
    Task<Intake.Refusal?> CheckAsync(string field, string replyUrl, CancellationToken cancellationToken);
}

public static class ReplyUrlSyntax
{
    /// <summary>
    /// An absolute http(s) URL with a host. A control character (NUL, BEL, …) is in no URL a receiver has, and
    /// PostgreSQL refuses NUL in text: such a string is refused here, not stored to fail later.
    /// </summary>
    public static bool IsValid(string url) =>
        !url.Any(char.IsControl) && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0;
}
