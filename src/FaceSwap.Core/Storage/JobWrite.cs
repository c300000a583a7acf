using System.Data.Common;
using Dapper;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Webhooks;

namespace FaceSwap.Core.Storage;

/// <summary>
/// The rules of a job write that every store keeps the same, whatever its SQL: which change may be written, and
/// what commits with it. Each store reads the row under its own write lock, asks <see cref="Decide"/>, writes
/// the job row its own way, then calls <see cref="RecordEffectsAsync"/> in the same transaction.
/// </summary>
public static class JobWrite
{
    /// <summary>
    /// The job to write, or the reason nothing is written: a terminal job never changes, a node that lost the
    /// lease writes nothing (checked under the write lock), and a change may decline or ask for a move the
    /// status rules forbid.
    /// </summary>
    public static (Job? Next, LeasedWrite? Refused) Decide(Job current, string? rowLeaseOwner, string? leaseOwner, Func<Job, Job?> change)
    {
        if (current.Status.IsTerminal()) return (null, LeasedWrite.NotWritten);
        if (leaseOwner is not null && rowLeaseOwner != leaseOwner) return (null, LeasedWrite.Lost);
        var next = change(current);
        if (next is null) return (null, LeasedWrite.NotWritten);
        if (next.Status != current.Status && !current.Status.CanMoveTo(next.Status)) return (null, LeasedWrite.NotWritten);
        return (next, null);
    }

    /// <summary>
    /// What commits with a transition: the replyUrl outbox row (with the transition or not at all: no lost and no
    /// phantom deliveries) and the rows of attachments the change added.
    /// </summary>
    public static async Task RecordEffectsAsync(DbConnection connection, DbTransaction transaction, Job current, Job next)
    {
        if (DeliveryPolicy.ShouldNotify(current, next))
        {
            await DeliveryWrites.EnqueueAsync(connection, transaction, new Delivery(
                DeliveryPolicy.NewDeliveryId(), next.Id, next.UserId, next.ReplyUrl!, next.Status.ToWire(), next,
                DeliveryState.Pending, Attempts: 0, NextAttempt: next.Updated, Created: next.Updated));
        }
        foreach (var attachment in next.Attachments.Where(a => current.Attachments.All(c => c.Id != a.Id)))
        {
            await connection.ExecuteAsync("INSERT INTO attachments (id, job_id, data) VALUES (@Id, @JobId, @Data)",
                new { attachment.Id, JobId = next.Id, Data = JobJson.Serialize(attachment) }, transaction);
        }
    }
}
