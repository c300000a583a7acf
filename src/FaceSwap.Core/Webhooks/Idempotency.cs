namespace FaceSwap.Core.Webhooks;

public enum IdempotencyState { Began, Running, Done, Mismatch }

/// <summary>What a command request's Idempotency-Key found: a fresh start, or the first request's job.</summary>
public sealed record IdempotencyClaim(IdempotencyState State, string? JobId);

/// <summary>Keys are scoped per user; the fingerprint is a hash of the request, so a reused key with another body is told apart.</summary>
public interface IIdempotencyStore
{
    /// <summary>Atomically takes the key, or reports what holds it.</summary>
    Task<IdempotencyClaim> BeginAsync(long userId, string key, string fingerprint, DateTimeOffset now, CancellationToken cancellationToken);

    Task CompleteAsync(long userId, string key, string jobId, CancellationToken cancellationToken);

    /// <summary>The request was refused before a job existed: the key is free again (nothing was done).</summary>
    Task AbandonAsync(long userId, string key, CancellationToken cancellationToken);

    Task<int> PurgeAsync(DateTimeOffset createdBefore, CancellationToken cancellationToken);
}
