using FaceSwap.Core.Jobs;

namespace FaceSwap.Core.Webhooks;

public enum DeliveryState
{
    /// <summary>Waiting for its next attempt.</summary>
    Pending,
    /// <summary>The receiver answered 2xx.</summary>
    Delivered,
    /// <summary>Every attempt of the retry schedule failed.</summary>
    Failed,
    /// <summary>The receiver answered 410 Gone: no more attempts to that URL.</summary>
    Stopped,
}

/// <summary>
/// One replyUrl notification: the job as it was at one transition, to be POSTed until the receiver takes it.
/// Its id is the Standard Webhooks <c>webhook-id</c>, the same on every retry.
/// </summary>
public sealed record Delivery(
    string Id,
    string JobId,
    long UserId,
    string Url,
    string Event,
    Job Snapshot,
    DeliveryState State,
    int Attempts,
    DateTimeOffset NextAttempt,
    DateTimeOffset Created);

/// <summary>What one POST to a receiver came to.</summary>
public sealed record DeliveryAttempt(DateTimeOffset At, int? HttpStatus, string? Error, TimeSpan Duration);

/// <summary>How a delivery goes on after an attempt.</summary>
public sealed record DeliveryOutcome(DeliveryState State, DateTimeOffset? NextAttempt)
{
    public static DeliveryOutcome Delivered { get; } = new(DeliveryState.Delivered, null);
    public static DeliveryOutcome Stopped { get; } = new(DeliveryState.Stopped, null);
    public static DeliveryOutcome GaveUp { get; } = new(DeliveryState.Failed, null);
    public static DeliveryOutcome RetryAt(DateTimeOffset when) => new(DeliveryState.Pending, when);
}

/// <summary>
/// Which job changes are worth a replyUrl call: every terminal state, once, as the vendor's docs promise;
/// for async jobs (whose request did not wait) also the move to started and each new progress message,
/// when the user opted in (<see cref="ReplyEvents"/>).
/// </summary>
public static class DeliveryPolicy
{
    public static bool ShouldNotify(Job before, Job after)
    {
        // A replyUrl stored before control characters were refused at intake reaches no receiver, and PostgreSQL
        // can not hold its NUL: writing its delivery would fail the job's own write, leaving it unable to end.
        if (after.ReplyUrl is null || !ReplyUrlSyntax.IsValid(after.ReplyUrl)) return false;
        if (after.Status.IsTerminal()) return !before.Status.IsTerminal();
        if (after.Blocking) return false;
        if (after.Status == JobStatus.Started && before.Status == JobStatus.Created) return after.ReplyEvents.HasFlag(ReplyEvents.Started);
        var newProgress = after.Status == JobStatus.Progress
            && (before.Status != JobStatus.Progress || after.Upstream.Content != before.Upstream.Content);
        return newProgress && after.ReplyEvents.HasFlag(ReplyEvents.Progress);
    }

    public static string NewDeliveryId() => "msg_" + Users.ApiTokens.Base64Url(System.Security.Cryptography.RandomNumberGenerator.GetBytes(18));
}

/// <summary>The outbox of replyUrl deliveries; rows are added by the job store in the transition's transaction.</summary>
public interface IDeliveryStore
{
    /// <summary>Takes due pending deliveries for this node until <paramref name="leaseUntil"/>.</summary>
    Task<IReadOnlyList<Delivery>> ClaimDueAsync(string owner, DateTimeOffset now, DateTimeOffset leaseUntil, int max, CancellationToken cancellationToken);

    /// <summary>The earliest next attempt of any pending delivery, to sleep until then.</summary>
    Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken);

    Task RecordAttemptAsync(string deliveryId, DeliveryAttempt attempt, DeliveryOutcome outcome, CancellationToken cancellationToken);

    /// <summary>Gives a claimed delivery back untried (the node is stopping): the next start sends it at once.</summary>
    Task ReleaseAsync(string deliveryId, CancellationToken cancellationToken);

    /// <summary>A 410 from a receiver: every pending delivery of this user to that URL stops.</summary>
    Task<int> StopPendingToAsync(long userId, string url, CancellationToken cancellationToken);

    Task EnqueueAsync(Delivery delivery, CancellationToken cancellationToken);

    Task<IReadOnlyList<(Delivery Delivery, IReadOnlyList<DeliveryAttempt> Attempts)>> ListForJobAsync(string jobId, CancellationToken cancellationToken);
}
