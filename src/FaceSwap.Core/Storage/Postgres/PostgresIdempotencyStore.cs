using Dapper;
using FaceSwap.Core.Webhooks;

namespace FaceSwap.Core.Storage.Postgres;

/// <summary>
/// Idempotency-Keys shared by every node. A running key names the process running its request, so a node that
/// starts settles only the keys whose process is gone, never the live requests of the other nodes.
/// </summary>
public sealed class PostgresIdempotencyStore(PostgresDatabase database) : IIdempotencyStore
{
    private sealed record KeyRow(string Fingerprint, string State, string? JobId);

    public async Task<IdempotencyClaim> BeginAsync(long userId, string key, string fingerprint, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await database.EnsurePresentAsync(cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        while (true)
        {
            // A racing insert of the same key waits for the first one's commit and then does nothing.
            var taken = await connection.ExecuteAsync(
                """
                INSERT INTO idempotency_keys (user_id, key, fingerprint, state, created_ms, owner)
                VALUES (@userId, @key, @fingerprint, 'running', @now, @owner)
                ON CONFLICT (user_id, key) DO NOTHING
                """,
                new { userId, key, fingerprint, now = JobJson.ToMs(now), owner = database.PresenceId });
            if (taken == 1) return new IdempotencyClaim(IdempotencyState.Began, null);
            var found = await connection.QuerySingleOrDefaultAsync<KeyRow>(
                "SELECT fingerprint, state, job_id AS JobId FROM idempotency_keys WHERE user_id = @userId AND key = @key", new { userId, key });
            // Gone between the two statements (its request was refused, so the key is free again): take it.
            if (found is null) continue;
            return found.Fingerprint != fingerprint ? new IdempotencyClaim(IdempotencyState.Mismatch, found.JobId)
                : found.State == "done" ? new IdempotencyClaim(IdempotencyState.Done, found.JobId)
                : new IdempotencyClaim(IdempotencyState.Running, found.JobId);
        }
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
        // One statement, so the keys taken for cut off are chosen once: whether a process is present is read
        // live (pg_locks), not from the statement's snapshot, and may change while the statement runs.
        return await connection.ExecuteAsync(
            $"""
            WITH cut_off AS (
                SELECT user_id, key, job_id IN (SELECT id FROM jobs) AS stored FROM idempotency_keys
                WHERE state = 'running' AND created_ms < @before AND NOT {PostgresDatabase.IsPresent("owner")}
                FOR UPDATE
            ),
            settled AS (
                UPDATE idempotency_keys k SET state = 'done' FROM cut_off c
                WHERE k.user_id = c.user_id AND k.key = c.key AND c.stored
            )
            DELETE FROM idempotency_keys k USING cut_off c
            WHERE k.user_id = c.user_id AND k.key = c.key AND c.stored IS NOT TRUE
            """,
            new { before = JobJson.ToMs(startedBefore) });
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
