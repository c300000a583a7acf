using Dapper;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Webhooks;

namespace FaceSwap.Core.Storage.Sqlite;

public sealed class SqliteJobStore(SqliteDatabase database) : IJobStore
{
    private const string Executing = "status IN ('created','started','progress')";

    public async Task<JobInsertion> InsertAsync(Job job, bool exclusiveOnChannel, string leaseOwner, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // BEGIN IMMEDIATE (deferred: false) takes the write lock first, so the busy check and the insert
        // are one step even when two requests race.
        await using var transaction = connection.BeginTransaction(deferred: false);
        if (exclusiveOnChannel)
        {
            var executing = (await connection.QueryAsync<string>(
                $"SELECT id FROM jobs WHERE user_id = @UserId AND channel = @Channel AND blocking = 1 AND {Executing} ORDER BY created_ms",
                new { job.UserId, job.Channel }, transaction)).ToList();
            if (executing.Count > 0) return new JobInsertion(false, executing);
        }
        await connection.ExecuteAsync(
            """
            INSERT INTO jobs (id, user_id, channel, status, blocking, created_ms, updated_ms, lease_owner, lease_until_ms, data)
            VALUES (@Id, @UserId, @Channel, @Status, @Blocking, @Created, @Updated, @LeaseOwner, @LeaseUntil, @Data)
            """,
            new
            {
                job.Id, job.UserId, job.Channel, Status = job.Status.ToWire(), job.Blocking,
                Created = JobJson.ToMs(job.Created), Updated = JobJson.ToMs(job.Updated),
                LeaseOwner = leaseOwner, LeaseUntil = JobJson.ToMs(leaseUntil), Data = JobJson.Serialize(job),
            }, transaction);
        transaction.Commit();
        return JobInsertion.Done;
    }

    public async Task<JobLookup> FindAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(long Expired, string? Data)?>(
            "SELECT expired, data FROM jobs WHERE id = @id", new { id });
        return row switch
        {
            null => JobLookup.Missing,
            { Expired: 1 } => JobLookup.Gone,
            { Data: { } data } => new JobLookup(JobJson.Deserialize<Job>(data), false),
            _ => JobLookup.Missing,
        };
    }

    public async Task<Job?> UpdateAsync(string id, Func<Job, Job?> change, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        var data = await connection.QuerySingleOrDefaultAsync<string?>(
            "SELECT data FROM jobs WHERE id = @id AND expired = 0", new { id }, transaction);
        if (data is null) return null;
        var current = JobJson.Deserialize<Job>(data);
        if (current.Status.IsTerminal()) return null;
        var next = change(current);
        if (next is null) return null;
        if (next.Status != current.Status && !current.Status.CanMoveTo(next.Status)) return null;
        await connection.ExecuteAsync(
            "UPDATE jobs SET status = @Status, updated_ms = @Updated, data = @Data, lease_owner = CASE WHEN @Terminal THEN NULL ELSE lease_owner END WHERE id = @Id",
            new
            {
                next.Id, Status = next.Status.ToWire(), Updated = JobJson.ToMs(next.Updated),
                Data = JobJson.Serialize(next), Terminal = next.Status.IsTerminal(),
            }, transaction);
        if (DeliveryPolicy.ShouldNotify(current, next))
        {
            // The outbox row commits with the transition or not at all: no lost and no phantom deliveries.
            await connection.ExecuteAsync(
                """
                INSERT INTO deliveries (id, job_id, user_id, url, event, job_snapshot, state, attempts, next_attempt_ms, created_ms)
                VALUES (@Id, @JobId, @UserId, @Url, @Event, @Snapshot, 'pending', 0, @Now, @Now)
                """,
                new
                {
                    Id = DeliveryPolicy.NewDeliveryId(), JobId = next.Id, next.UserId, Url = next.ReplyUrl,
                    Event = next.Status.ToWire(), Snapshot = JobJson.Serialize(next), Now = JobJson.ToMs(next.Updated),
                }, transaction);
        }
        var added = next.Attachments.Where(a => current.Attachments.All(c => c.Id != a.Id));
        foreach (var attachment in added)
        {
            await connection.ExecuteAsync("INSERT INTO attachments (id, job_id, data) VALUES (@Id, @JobId, @Data)",
                new { attachment.Id, JobId = next.Id, Data = JobJson.Serialize(attachment) }, transaction);
        }
        transaction.Commit();
        return next;
    }

    public async Task<IReadOnlyList<string>> ListExecutingAsync(long userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<string>(
            $"SELECT id FROM jobs WHERE user_id = @userId AND {Executing} ORDER BY created_ms", new { userId })).ToList();
    }

    public async Task<IReadOnlyList<Job>> ClaimOrphansAsync(string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil, int max, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        var rows = (await connection.QueryAsync<string>(
            $"""
            UPDATE jobs SET lease_owner = @leaseOwner, lease_until_ms = @until
            WHERE id IN (SELECT id FROM jobs WHERE {Executing} AND (lease_until_ms IS NULL OR lease_until_ms < @now)
                         ORDER BY created_ms LIMIT @max)
            RETURNING data
            """,
            new { leaseOwner, until = JobJson.ToMs(leaseUntil), now = JobJson.ToMs(now), max }, transaction)).ToList();
        transaction.Commit();
        return rows.Select(JobJson.Deserialize<Job>).OrderBy(j => j.Created).ToList();
    }

    public async Task<IReadOnlySet<string>> RenewLeasesAsync(IReadOnlyCollection<string> ids, string leaseOwner, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        if (ids.Count == 0) return new HashSet<string>();
        await using var connection = await database.OpenAsync(cancellationToken);
        var held = await connection.QueryAsync<string>(
            $"UPDATE jobs SET lease_until_ms = @until WHERE id IN @ids AND lease_owner = @leaseOwner AND {Executing} RETURNING id",
            new { ids, leaseOwner, until = JobJson.ToMs(leaseUntil) });
        return held.ToHashSet();
    }

    public async Task<IReadOnlyList<Job>> ListPastRetentionAsync(DateTimeOffset createdBefore, int max, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<string>(
            "SELECT data FROM jobs WHERE expired = 0 AND created_ms < @before ORDER BY created_ms LIMIT @max",
            new { before = JobJson.ToMs(createdBefore), max });
        return rows.Select(JobJson.Deserialize<Job>).ToList();
    }

    public async Task MarkExpiredAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        await connection.ExecuteAsync("DELETE FROM attachments WHERE job_id = @id", new { id }, transaction);
        // An expired job leaves the executing set too, so no node ever claims it again.
        await connection.ExecuteAsync(
            $"UPDATE jobs SET expired = 1, data = NULL, lease_owner = NULL, status = CASE WHEN {Executing} THEN 'cancelled' ELSE status END WHERE id = @id",
            new { id }, transaction);
        transaction.Commit();
    }

    public async Task<Job?> FindByMessageIdAsync(long userId, string channel, string messageId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var data = await connection.QueryFirstOrDefaultAsync<string?>(
            "SELECT data FROM jobs WHERE user_id = @userId AND channel = @channel AND expired = 0 AND json_extract(data, '$.upstream.messageId') = @messageId ORDER BY created_ms DESC",
            new { userId, channel, messageId });
        return data is null ? null : JobJson.Deserialize<Job>(data);
    }

    public async Task<Attachment?> FindAttachmentAsync(string attachmentId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var data = await connection.QuerySingleOrDefaultAsync<string?>(
            "SELECT data FROM attachments WHERE id = @attachmentId", new { attachmentId });
        return data is null ? null : JobJson.Deserialize<Attachment>(data);
    }
}
