using Dapper;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Webhooks;
using Microsoft.Extensions.Options;

namespace FaceSwap.Core.Storage.Sqlite;

public sealed class SqliteJobStore(SqliteDatabase database, IOptions<JobsOptions> options) : IJobStore
{
    private const string Executing = "status IN ('created','started','progress')";

    private sealed record JobRow(string Status, string Data);

    private sealed record LeasedRow(string Status, string? LeaseOwner, string Data);

    private sealed record ClaimRow(string Status, long Attempt, long MaxAttempts, string Data);

    public async Task<JobInsertion> InsertAsync(Job job, bool exclusiveOnChannel, CancellationToken cancellationToken)
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
        // No lease: the job enters execution only through a claim.
        await connection.ExecuteAsync(
            """
            INSERT INTO jobs (id, user_id, channel, status, blocking, created_ms, updated_ms, attempt, max_attempts, data)
            VALUES (@Id, @UserId, @Channel, @Status, @Blocking, @Created, @Updated, 0, @MaxAttempts, @Data)
            """,
            new
            {
                job.Id, job.UserId, job.Channel, Status = job.Status.ToWire(), job.Blocking,
                Created = JobJson.ToMs(job.Created), Updated = JobJson.ToMs(job.Updated),
                MaxAttempts = Math.Max(1, options.Value.MaxAttempts), Data = JobJson.SerializeData(job),
            }, transaction);
        transaction.Commit();
        return JobInsertion.Done;
    }

    public async Task<JobLookup> FindAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(long Expired, string Status, string? Data)?>(
            "SELECT expired, status, data FROM jobs WHERE id = @id", new { id });
        return row switch
        {
            null => JobLookup.Missing,
            { Expired: 1 } => JobLookup.Gone,
            { Data: { } data } r => new JobLookup(JobJson.DeserializeData(data, r.Status), false),
            _ => JobLookup.Missing,
        };
    }

    public async Task<Job?> FindLeasedAsync(string id, string leaseOwner, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<JobRow>(
            $"SELECT status, data FROM jobs WHERE id = @id AND lease_owner = @leaseOwner AND expired = 0 AND {Executing}",
            new { id, leaseOwner });
        return row is null ? null : JobJson.DeserializeData(row.Data, row.Status);
    }

    public async Task<Job?> UpdateAsync(string id, Func<Job, Job?> change, CancellationToken cancellationToken) =>
        (await WriteAsync(id, leaseOwner: null, change, cancellationToken)).Stored;

    public Task<LeasedWrite> UpdateLeasedAsync(string id, string leaseOwner, Func<Job, Job?> change, CancellationToken cancellationToken) =>
        WriteAsync(id, leaseOwner, change, cancellationToken);

    private async Task<LeasedWrite> WriteAsync(string id, string? leaseOwner, Func<Job, Job?> change, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        var row = await connection.QuerySingleOrDefaultAsync<LeasedRow>(
            "SELECT status, lease_owner AS LeaseOwner, data FROM jobs WHERE id = @id AND expired = 0", new { id }, transaction);
        if (row is null) return LeasedWrite.NotWritten;
        var current = JobJson.DeserializeData(row.Data, row.Status);
        if (current.Status.IsTerminal()) return LeasedWrite.NotWritten;
        // The lease owner is checked under the write lock, so a node that lost the job writes nothing.
        if (leaseOwner is not null && row.LeaseOwner != leaseOwner) return LeasedWrite.Lost;
        var next = change(current);
        if (next is null) return LeasedWrite.NotWritten;
        if (next.Status != current.Status && !current.Status.CanMoveTo(next.Status)) return LeasedWrite.NotWritten;
        await connection.ExecuteAsync(
            """
            UPDATE jobs SET status = @Status, updated_ms = @Updated, data = @Data,
                lease_owner = CASE WHEN @Terminal THEN NULL ELSE lease_owner END,
                lease_until_ms = CASE WHEN @Terminal THEN NULL ELSE lease_until_ms END
            WHERE id = @Id
            """,
            new
            {
                next.Id, Status = next.Status.ToWire(), Updated = JobJson.ToMs(next.Updated),
                Data = JobJson.SerializeData(next), Terminal = next.Status.IsTerminal(),
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
        return new LeasedWrite(next, false);
    }

    public async Task<IReadOnlyList<Job>> ListRecentAsync(long userId, JobCursor? before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // (created_ms, id) is a total order, so a page boundary between jobs created in the same millisecond loses none.
        var rows = await connection.QueryAsync<JobRow>(
            """
            SELECT status, data FROM jobs
            WHERE user_id = @userId AND expired = 0
              AND (@beforeId IS NULL OR created_ms < @beforeMs OR (created_ms = @beforeMs AND id < @beforeId))
            ORDER BY created_ms DESC, id DESC LIMIT @limit
            """,
            new { userId, beforeMs = before is null ? 0 : JobJson.ToMs(before.Created), beforeId = before?.Id, limit = Math.Max(0, limit) });
        return rows.Select(row => JobJson.DeserializeData(row.Data, row.Status)).ToList();
    }

    public async Task<IReadOnlyList<string>> ListExecutingAsync(long userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<string>(
            $"SELECT id FROM jobs WHERE user_id = @userId AND {Executing} ORDER BY created_ms", new { userId })).ToList();
    }

    public async Task<IReadOnlyList<ClaimedJob>> ClaimAsync(string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil,
        int laneDepth, int max, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        // "place" is a job's position in its lane among all executing jobs, held or not: a lane never has more
        // than laneDepth jobs leased, and ordering by place first makes the lanes take turns. Places follow the
        // order of insertion (rowid), not the created times, which requests racing to insert may commit out of
        // order: a job that commits late never lands in front of jobs already running. A lane where another owner
        // holds a live lease is not open to this one: a lane runs on one node at a time.
        var rows = (await connection.QueryAsync<ClaimRow>(
            $"""
            WITH lanes AS (
                SELECT id, rowid AS sequence, lease_owner, lease_until_ms,
                       ROW_NUMBER() OVER (PARTITION BY user_id, channel ORDER BY rowid) AS place,
                       MAX(COALESCE(lease_owner <> @leaseOwner AND lease_until_ms >= @now, 0))
                           OVER (PARTITION BY user_id, channel) AS held_elsewhere
                FROM jobs WHERE {Executing}
            )
            UPDATE jobs SET lease_owner = @leaseOwner, lease_until_ms = @until, attempt = attempt + 1
            WHERE id IN (SELECT id FROM lanes
                         WHERE place <= @laneDepth AND held_elsewhere = 0
                           AND (lease_owner IS NULL OR lease_until_ms IS NULL OR lease_until_ms < @now)
                         ORDER BY place, sequence LIMIT @max)
            RETURNING status, attempt, max_attempts AS MaxAttempts, data
            """,
            new { leaseOwner, until = JobJson.ToMs(leaseUntil), now = JobJson.ToMs(now), laneDepth, max }, transaction)).ToList();
        transaction.Commit();
        return rows
            .Select(r => new ClaimedJob(JobJson.DeserializeData(r.Data, r.Status), (int)r.Attempt, (int)r.MaxAttempts))
            .OrderBy(c => c.Job.Created).ThenBy(c => c.Job.Id, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>A lease that ran out is not revived once another owner holds a lease in its lane that outlasts it.</summary>
    public async Task<IReadOnlySet<string>> HeartbeatAsync(IReadOnlyCollection<string> ids, string leaseOwner, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        if (ids.Count == 0) return new HashSet<string>();
        await using var connection = await database.OpenAsync(cancellationToken);
        var held = await connection.QueryAsync<string>(
            $"""
            UPDATE jobs AS j SET lease_until_ms = @until
            WHERE j.id IN (SELECT value FROM json_each(@ids)) AND j.lease_owner = @leaseOwner AND j.{Executing}
              AND NOT EXISTS (SELECT 1 FROM jobs o
                              WHERE o.user_id = j.user_id AND o.channel = j.channel AND o.{Executing}
                                AND o.lease_owner <> @leaseOwner AND o.lease_until_ms > j.lease_until_ms)
            RETURNING id
            """,
            new { ids = JobJson.Serialize(ids), leaseOwner, until = JobJson.ToMs(leaseUntil) });
        return held.ToHashSet();
    }

    public async Task ReleaseAsync(IReadOnlyCollection<string> ids, string leaseOwner, CancellationToken cancellationToken)
    {
        if (ids.Count == 0) return;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            $"""
            UPDATE jobs SET lease_owner = NULL, lease_until_ms = NULL, attempt = MAX(attempt - 1, 0)
            WHERE id IN (SELECT value FROM json_each(@ids)) AND lease_owner = @leaseOwner AND {Executing}
            """,
            new { ids = JobJson.Serialize(ids), leaseOwner });
    }

    public async Task<IReadOnlyList<Job>> ListPastRetentionAsync(DateTimeOffset createdBefore, int max, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<JobRow>(
            "SELECT status, data FROM jobs WHERE expired = 0 AND created_ms < @before ORDER BY created_ms LIMIT @max",
            new { before = JobJson.ToMs(createdBefore), max });
        return rows.Select(r => JobJson.DeserializeData(r.Data, r.Status)).ToList();
    }

    public async Task MarkExpiredAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        await connection.ExecuteAsync("DELETE FROM attachments WHERE job_id = @id", new { id }, transaction);
        // An expired job leaves the executing set too, so no node ever claims it again.
        await connection.ExecuteAsync(
            $"UPDATE jobs SET expired = 1, data = NULL, lease_owner = NULL, lease_until_ms = NULL, status = CASE WHEN {Executing} THEN 'cancelled' ELSE status END WHERE id = @id",
            new { id }, transaction);
        transaction.Commit();
    }

    public async Task<Job?> FindByMessageIdAsync(long userId, string channel, string messageId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<JobRow>(
            "SELECT status, data FROM jobs WHERE user_id = @userId AND channel = @channel AND expired = 0 AND json_extract(data, '$.upstream.messageId') = @messageId ORDER BY created_ms DESC",
            new { userId, channel, messageId });
        return row is null ? null : JobJson.DeserializeData(row.Data, row.Status);
    }

    public async Task<Attachment?> FindAttachmentAsync(string attachmentId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var data = await connection.QuerySingleOrDefaultAsync<string?>(
            "SELECT data FROM attachments WHERE id = @attachmentId", new { attachmentId });
        return data is null ? null : JobJson.Deserialize<Attachment>(data);
    }
}
