namespace FaceSwap.Core.Webhooks;

public enum IdempotencyState { Began, Running, Done, Mismatch }

/// <summary>What a command request's Idempotency-Key found: a fresh start, or the first request's job.</summary>
public sealed record IdempotencyClaim(IdempotencyState State, string? JobId);

/// <summary>Keys are scoped per user; the fingerprint is a hash of the request, so a reused key with another body is told apart.</summary>
public interface IIdempotencyStore
{
    /// <summary>Atomically takes the key, or reports what holds it.</summary>
    Task<IdempotencyClaim> BeginAsync(long userId, string key, string fingerprint, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Names the job this request is about to store, before it is stored: a restart can then tell what became of it.</summary>
    Task AttachJobAsync(long userId, string key, string jobId, CancellationToken cancellationToken);

    Task CompleteAsync(long userId, string key, string jobId, CancellationToken cancellationToken);

    /// <summary>The request was refused before a job existed: the key is free again (nothing was done).</summary>
    Task AbandonAsync(long userId, string key, CancellationToken cancellationToken);

    /// <summary>
    /// At start-up: a key still running from before <paramref name="startedBefore"/> lost its request in a crash.
    /// If its job was stored, the key is done with that job (a retry replays it); otherwise it is free again.
    /// Returns how many keys were released.
    /// </summary>
    Task<int> ReleaseInterruptedAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken);

    Task<int> PurgeAsync(DateTimeOffset createdBefore, CancellationToken cancellationToken);
}
