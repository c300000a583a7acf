using Dapper;
using FaceSwap.Core.Webhooks;

namespace FaceSwap.Core.Storage.Sqlite;

public sealed class SqliteIdempotencyStore(SqliteDatabase database) : IIdempotencyStore
{
    public async Task<IdempotencyClaim> BeginAsync(long userId, string key, string fingerprint, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        var existing = await connection.QuerySingleOrDefaultAsync<(string Fingerprint, string State, string? JobId)?>(
            "SELECT fingerprint, state, job_id FROM idempotency_keys WHERE user_id = @userId AND key = @key", new { userId, key }, transaction);
        if (existing is { } found)
        {
            return found.Fingerprint != fingerprint ? new IdempotencyClaim(IdempotencyState.Mismatch, found.JobId)
                : found.State == "done" ? new IdempotencyClaim(IdempotencyState.Done, found.JobId)
                : new IdempotencyClaim(IdempotencyState.Running, found.JobId);
        }
        await connection.ExecuteAsync(
            "INSERT INTO idempotency_keys (user_id, key, fingerprint, state, created_ms) VALUES (@userId, @key, @fingerprint, 'running', @now)",
            new { userId, key, fingerprint, now = JobJson.ToMs(now) }, transaction);
        transaction.Commit();
        return new IdempotencyClaim(IdempotencyState.Began, null);
    }

    public async Task AttachJobAsync(long userId, string key, string jobId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync("UPDATE idempotency_keys SET job_id = @jobId WHERE user_id = @userId AND key = @key AND state = 'running'",
            new { userId, key, jobId });
    }

    public async Task<int> ReleaseInterruptedAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        var before = JobJson.ToMs(startedBefore);
        await connection.ExecuteAsync(
            "UPDATE idempotency_keys SET state = 'done' WHERE state = 'running' AND created_ms < @before AND job_id IN (SELECT id FROM jobs)",
            new { before }, transaction);
        var released = await connection.ExecuteAsync("DELETE FROM idempotency_keys WHERE state = 'running' AND created_ms < @before",
            new { before }, transaction);
        transaction.Commit();
        return released;
    }

    public async Task CompleteAsync(long userId, string key, string jobId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync("UPDATE idempotency_keys SET state = 'done', job_id = @jobId WHERE user_id = @userId AND key = @key",
            new { userId, key, jobId });
    }

    public async Task AbandonAsync(long userId, string key, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync("DELETE FROM idempotency_keys WHERE user_id = @userId AND key = @key AND state = 'running'", new { userId, key });
    }

    public async Task<int> PurgeAsync(DateTimeOffset createdBefore, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync("DELETE FROM idempotency_keys WHERE created_ms < @before",
            new { before = JobJson.ToMs(createdBefore) });
    }
}
