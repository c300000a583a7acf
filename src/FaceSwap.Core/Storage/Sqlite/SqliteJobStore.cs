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
        var (next, refused) = JobWrite.Decide(current, row.LeaseOwner, leaseOwner, change);
        if (next is null) return refused!;
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
        await JobWrite.RecordEffectsAsync(connection, transaction, current, next);
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

    public async Task<IReadOnlySet<string>> ListBusyChannelsAsync(long userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<string>(
            $"SELECT DISTINCT channel FROM jobs WHERE user_id = @userId AND blocking = 1 AND {Executing}", new { userId })).ToHashSet();
    }

    /// <summary>
    /// Every lane with executing jobs, as <c>lanes(user_id, channel)</c>: a skip scan of jobs_executing, one index
    /// seek per lane, so a lane's backlog costs nothing to pass over.
    /// </summary>
    private const string Lanes =
        $"""
        WITH RECURSIVE lanes(user_id, channel) AS (
            SELECT user_id, channel FROM (SELECT user_id, channel FROM jobs WHERE {Executing} ORDER BY user_id, channel LIMIT 1)
            UNION ALL
            SELECT next.user_id, next.channel FROM lanes AS l JOIN jobs AS next ON next.rowid = COALESCE(
                (SELECT rowid FROM jobs WHERE {Executing} AND user_id = l.user_id AND channel > l.channel ORDER BY user_id, channel LIMIT 1),
                (SELECT rowid FROM jobs WHERE {Executing} AND user_id > l.user_id ORDER BY user_id, channel LIMIT 1))
        )
        """;

    /// <summary>Lane l is open to this owner: no other owner holds a live lease in it (jobs_lane_leases).</summary>
    private const string LaneOpen =
        $"""
        NOT EXISTS (SELECT 1 FROM jobs AS o WHERE o.user_id = l.user_id AND o.channel = l.channel AND o.{Executing}
                    AND o.lease_owner <> @leaseOwner AND o.lease_until_ms >= @now)
        """;

    /// <summary>The first laneDepth executing jobs of lane l, in the lane's order (jobs_executing ends in the rowid).</summary>
    private const string LaneHead =
        $"SELECT rowid FROM jobs WHERE user_id = l.user_id AND channel = l.channel AND {Executing} ORDER BY rowid LIMIT @laneDepth";

    private const string Unheld = "(lease_owner IS NULL OR lease_until_ms IS NULL OR lease_until_ms < @now)";

    public async Task<IReadOnlyList<ClaimedJob>> ClaimAsync(string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil,
        int laneDepth, int max, CancellationToken cancellationToken)
    {
        var args = new { leaseOwner, until = JobJson.ToMs(leaseUntil), now = JobJson.ToMs(now), laneDepth, max };
        await using var connection = await database.OpenAsync(cancellationToken);
        // A dispatcher claims whenever a job is stored or a run ends, often to find nothing new (its lanes are full):
        // a read says so, stopping at the first lane with room, without the write lock every insert waits for. Only
        // the claim under the lock decides what is taken; a job that becomes claimable after this read is left to the
        // wake-up (or scan) that follows the change, as one committed after the claim would be.
        var any = await connection.ExecuteScalarAsync<bool>(
            $"""
            {Lanes}
            SELECT EXISTS (SELECT 1 FROM lanes AS l WHERE {LaneOpen}
                           AND EXISTS (SELECT 1 FROM jobs WHERE rowid IN ({LaneHead}) AND {Unheld}))
            """, args);
        if (!any) return [];
        await using var transaction = connection.BeginTransaction(deferred: false);
        // "place" is a job's position in its lane among all executing jobs, held or not: a lane never has more than
        // laneDepth jobs leased, and ordering by place first makes the lanes take turns. Places follow the order of
        // insertion (rowid), not the created times, which requests racing to insert may commit out of order: a job
        // that commits late never lands in front of jobs already running. A lane where another owner holds a live
        // lease is not open to this one: a lane runs on one node at a time. Only each open lane's head is read,
        // never its backlog: reading every executing job made each claim, and the inserts waiting for its write
        // lock, slower as jobs piled up.
        var rows = (await connection.QueryAsync<ClaimRow>(
            $"""
            {Lanes},
            heads AS (
                SELECT j.id, j.rowid AS sequence, j.lease_owner, j.lease_until_ms,
                       ROW_NUMBER() OVER (PARTITION BY j.user_id, j.channel ORDER BY j.rowid) AS place
                FROM lanes AS l JOIN jobs AS j ON j.rowid IN ({LaneHead})
                WHERE {LaneOpen}
            )
            UPDATE jobs SET lease_owner = @leaseOwner, lease_until_ms = @until, attempt = attempt + 1
            WHERE id IN (SELECT id FROM heads WHERE {Unheld} ORDER BY place, sequence LIMIT @max)
            RETURNING status, attempt, max_attempts AS MaxAttempts, data
            """,
            args, transaction)).ToList();
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

    public async Task<string?> NewestMessageIdAsync(string channel, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // Longer digit strings are larger numbers; equal lengths compare as text. The expressions are those of
        // the index jobs_channel_message, so this is one index seek.
        return await connection.QueryFirstOrDefaultAsync<string?>(
            """
            SELECT json_extract(data, '$.upstream.messageId') FROM jobs
            WHERE channel = @channel AND json_extract(data, '$.upstream.messageId') IS NOT NULL
            ORDER BY length(json_extract(data, '$.upstream.messageId')) DESC, json_extract(data, '$.upstream.messageId') DESC
            LIMIT 1
            """,
            new { channel });
    }

    public async Task<Attachment?> FindAttachmentAsync(string attachmentId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var data = await connection.QuerySingleOrDefaultAsync<string?>(
            "SELECT data FROM attachments WHERE id = @attachmentId", new { attachmentId });
        return data is null ? null : JobJson.Deserialize<Attachment>(data);
    }
}
