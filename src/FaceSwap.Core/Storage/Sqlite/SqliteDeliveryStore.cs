using Dapper;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Webhooks;

namespace FaceSwap.Core.Storage.Sqlite;

public sealed class SqliteDeliveryStore(SqliteDatabase database) : IDeliveryStore
{
    private sealed record Row(string id, string job_id, long user_id, string url, string @event, string job_snapshot,
        string state, long attempts, long next_attempt_ms, long created_ms)
    {
        public Delivery ToDelivery() => new(id, job_id, user_id, url, @event, JobJson.Deserialize<Job>(job_snapshot),
            Enum.Parse<DeliveryState>(state, ignoreCase: true), (int)attempts, JobJson.FromMs(next_attempt_ms), JobJson.FromMs(created_ms));
    }

    private const string Due = "state = 'pending' AND next_attempt_ms <= @now AND (lease_until_ms IS NULL OR lease_until_ms < @now)";

    private const string Columns = "id, job_id, user_id, url, event, job_snapshot, state, attempts, next_attempt_ms, created_ms";

    public async Task<IReadOnlyList<Delivery>> ClaimDueAsync(string owner, DateTimeOffset now, DateTimeOffset leaseUntil, int max, CancellationToken cancellationToken)
    {
        var args = new { owner, until = JobJson.ToMs(leaseUntil), now = JobJson.ToMs(now), max };
        await using var connection = await database.OpenAsync(cancellationToken);
        // The sender looks whenever a job with a replyUrl changes, often to find nothing due: a read says so without
        // the write lock, which every insert waits for. The claim under the lock decides; a delivery that falls due
        // just after this read is the next wake-up's.
        if (!await connection.ExecuteScalarAsync<bool>($"SELECT EXISTS (SELECT 1 FROM deliveries WHERE {Due})", args)) return [];
        await using var transaction = connection.BeginTransaction(deferred: false);
        var rows = await connection.QueryAsync<Row>(
            $"""
            UPDATE deliveries SET lease_owner = @owner, lease_until_ms = @until
            WHERE id IN (SELECT id FROM deliveries WHERE {Due} ORDER BY next_attempt_ms LIMIT @max)
            RETURNING {Columns}
            """,
            args, transaction);
        transaction.Commit();
        return rows.Select(r => r.ToDelivery()).OrderBy(d => d.NextAttempt).ToList();
    }

    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var next = await connection.ExecuteScalarAsync<long?>("SELECT MIN(MAX(next_attempt_ms, COALESCE(lease_until_ms, 0))) FROM deliveries WHERE state = 'pending'");
        return next is { } ms ? JobJson.FromMs(ms) : null;
    }

    public async Task RecordAttemptAsync(string deliveryId, DeliveryAttempt attempt, DeliveryOutcome outcome, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        await DeliveryWrites.RecordAttemptAsync(connection, transaction, deliveryId, attempt, outcome);
        transaction.Commit();
    }

    public async Task ReleaseAsync(string deliveryId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync("UPDATE deliveries SET lease_owner = NULL, lease_until_ms = NULL WHERE id = @deliveryId AND state = 'pending'",
            new { deliveryId });
    }

    public async Task<int> StopPendingToAsync(long userId, string url, CancellationToken cancellationToken)
    {
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
        await using var connection = await database.OpenAsync(cancellationToken);
        var deliveries = (await connection.QueryAsync<Row>($"SELECT {Columns} FROM deliveries WHERE job_id = @jobId ORDER BY created_ms, rowid", new { jobId }))
            .Select(r => r.ToDelivery()).ToList();
        var result = new List<(Delivery, IReadOnlyList<DeliveryAttempt>)>();
        foreach (var delivery in deliveries)
        {
            var attempts = await connection.QueryAsync<(long At, long? Status, string? Error, long Duration)>(
                "SELECT at_ms, http_status, error, duration_ms FROM delivery_attempts WHERE delivery_id = @id ORDER BY id", new { id = delivery.Id });
            result.Add((delivery, attempts.Select(a => new DeliveryAttempt(JobJson.FromMs(a.At), (int?)a.Status, a.Error, TimeSpan.FromMilliseconds(a.Duration))).ToList()));
        }
        return result;
    }
}
