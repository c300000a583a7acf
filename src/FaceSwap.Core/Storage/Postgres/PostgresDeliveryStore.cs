using System.Data;
using Dapper;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Webhooks;

namespace FaceSwap.Core.Storage.Postgres;

/// <summary>
/// The replyUrl outbox shared by every node: a due delivery is taken by one node's claim (rows locked
/// <c>FOR UPDATE SKIP LOCKED</c>, so nodes never wait on each other) and leased to it; a lease that runs out
/// (its node died mid-send) makes the delivery due again for any node.
/// </summary>
public sealed class PostgresDeliveryStore(PostgresDatabase database) : IDeliveryStore
{
    private sealed record Row(string Id, string JobId, long UserId, string Url, string Event, string JobSnapshot,
        string State, int Attempts, long NextAttemptMs, long CreatedMs)
    {
        public Delivery ToDelivery() => new(Id, JobId, UserId, Url, Event, JobJson.Deserialize<Job>(JobSnapshot),
            Enum.Parse<DeliveryState>(State, ignoreCase: true), Attempts, JobJson.FromMs(NextAttemptMs), JobJson.FromMs(CreatedMs));
    }

    private sealed record AttemptRow(string DeliveryId, long AtMs, int? HttpStatus, string? Error, long DurationMs);

    private const string Columns =
        "d.id, d.job_id AS JobId, d.user_id AS UserId, d.url, d.event, d.job_snapshot AS JobSnapshot, d.state, d.attempts, " +
        "d.next_attempt_ms AS NextAttemptMs, d.created_ms AS CreatedMs";

    public async Task<IReadOnlyList<Delivery>> ClaimDueAsync(string owner, DateTimeOffset now, DateTimeOffset leaseUntil, int max, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(
            $"""
            WITH due AS (
                SELECT id FROM deliveries
                WHERE state = 'pending' AND next_attempt_ms <= @now AND (lease_until_ms IS NULL OR lease_until_ms < @now)
                ORDER BY next_attempt_ms, sequence LIMIT @max
                FOR UPDATE SKIP LOCKED
            )
            UPDATE deliveries d SET lease_owner = @owner, lease_until_ms = @until
            FROM due WHERE d.id = due.id
            RETURNING {Columns}
            """,
            new { owner, until = JobJson.ToMs(leaseUntil), now = JobJson.ToMs(now), max });
        return rows.Select(r => r.ToDelivery()).OrderBy(d => d.NextAttempt).ToList();
    }

    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var next = await connection.ExecuteScalarAsync<long?>(
            "SELECT min(GREATEST(next_attempt_ms, COALESCE(lease_until_ms, 0))) FROM deliveries WHERE state = 'pending'");
        return next is { } ms ? JobJson.FromMs(ms) : null;
    }

    public async Task RecordAttemptAsync(string deliveryId, DeliveryAttempt attempt, DeliveryOutcome outcome, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        await DeliveryWrites.RecordAttemptAsync(connection, transaction, deliveryId, attempt, outcome);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task ReleaseAsync(string deliveryId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync("UPDATE deliveries SET lease_owner = NULL, lease_until_ms = NULL WHERE id = @deliveryId AND state = 'pending'",
            new { deliveryId });
    }

    public async Task<int> StopPendingToAsync(long userId, string url, CancellationToken cancellationToken)
    {
        if (!PostgresDatabase.CanHold(url)) return 0;
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            "UPDATE deliveries SET state = 'stopped', lease_owner = NULL WHERE user_id = @userId AND url = @url AND state = 'pending'",
            new { userId, url });
    }

    public async Task EnqueueAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await DeliveryWrites.EnqueueAsync(connection, null, delivery);
    }

    public async Task<IReadOnlyList<(Delivery Delivery, IReadOnlyList<DeliveryAttempt> Attempts)>> ListForJobAsync(string jobId, CancellationToken cancellationToken)
    {
        if (!PostgresDatabase.CanHold(jobId)) return [];
        await using var connection = await database.OpenAsync(cancellationToken);
        var deliveries = (await connection.QueryAsync<Row>(
            $"SELECT {Columns} FROM deliveries d WHERE d.job_id = @jobId ORDER BY d.created_ms, d.sequence", new { jobId }))
            .Select(r => r.ToDelivery()).ToList();
        if (deliveries.Count == 0) return [];
        var attempts = (await connection.QueryAsync<AttemptRow>(
            """
            SELECT delivery_id AS DeliveryId, at_ms AS AtMs, http_status AS HttpStatus, error, duration_ms AS DurationMs
            FROM delivery_attempts WHERE delivery_id = ANY(@ids) ORDER BY id
            """, new { ids = deliveries.Select(d => d.Id).ToArray() }))
            .ToLookup(a => a.DeliveryId);
        return deliveries
            .Select(d => (d, (IReadOnlyList<DeliveryAttempt>)attempts[d.Id]
                .Select(a => new DeliveryAttempt(JobJson.FromMs(a.AtMs), a.HttpStatus, a.Error, TimeSpan.FromMilliseconds(a.DurationMs))).ToList()))
            .ToList();
    }
}
