using System.Data.Common;
using Dapper;
using FaceSwap.Core.Webhooks;

namespace FaceSwap.Core.Storage;

/// <summary>
/// The delivery outbox's writes that read the same in every store's SQL: putting a delivery in, and recording an
/// attempt with what it came to. Each store runs them on its own connection and transaction.
/// </summary>
public static class DeliveryWrites
{
    public static Task EnqueueAsync(DbConnection connection, DbTransaction? transaction, Delivery delivery) =>
        connection.ExecuteAsync(
            """
            INSERT INTO deliveries (id, job_id, user_id, url, event, job_snapshot, state, attempts, next_attempt_ms, created_ms)
            VALUES (@Id, @JobId, @UserId, @Url, @Event, @Snapshot, 'pending', 0, @Next, @Created)
            """,
            new
            {
                delivery.Id, delivery.JobId, delivery.UserId, delivery.Url, delivery.Event, Snapshot = JobJson.Serialize(delivery.Snapshot),
                Next = JobJson.ToMs(delivery.NextAttempt), Created = JobJson.ToMs(delivery.Created),
            }, transaction);

    /// <summary>The attempt's row, and the delivery's count, state and next time; a delivery no longer pending is left as it is.</summary>
    public static async Task RecordAttemptAsync(DbConnection connection, DbTransaction transaction, string deliveryId, DeliveryAttempt attempt, DeliveryOutcome outcome)
    {
        await connection.ExecuteAsync(
            "INSERT INTO delivery_attempts (delivery_id, at_ms, http_status, error, duration_ms) VALUES (@deliveryId, @at, @status, @error, @duration)",
            new { deliveryId, at = JobJson.ToMs(attempt.At), status = attempt.HttpStatus, error = attempt.Error, duration = (long)attempt.Duration.TotalMilliseconds },
            transaction);
        await connection.ExecuteAsync(
            """
            UPDATE deliveries SET attempts = attempts + 1, state = @state, lease_owner = NULL, lease_until_ms = NULL,
                next_attempt_ms = COALESCE(@next, next_attempt_ms)
            WHERE id = @deliveryId AND state = 'pending'
            """,
            new { deliveryId, state = outcome.State.ToString().ToLowerInvariant(), next = outcome.NextAttempt is { } n ? JobJson.ToMs(n) : (long?)null },
            transaction);
    }
}
