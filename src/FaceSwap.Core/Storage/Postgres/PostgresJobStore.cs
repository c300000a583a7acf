using System.Data;
using Dapper;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Webhooks;
using Microsoft.Extensions.Options;

namespace FaceSwap.Core.Storage.Postgres;

/// <summary>
/// Jobs shared by every node of a cluster. Claims lock the rows they take with <c>FOR UPDATE SKIP LOCKED</c>, so
/// two nodes never take the same job and never wait on each other; work on one (user, channel) lane is
/// serialized by a transaction-level advisory lock on the lane (see <see cref="LaneLock"/>), which is what keeps
/// a lane on one node at a time and its blocking check race-free. Transactions are READ COMMITTED whatever the
/// server's default: a statement run after a lane's lock was taken must see every commit made before it.
/// </summary>
public sealed class PostgresJobStore(PostgresDatabase database, IOptions<JobsOptions> options) : IJobStore
{
    private const string Executing = "status IN ('created','started','progress')";

    /// <summary>Leases renewed per transaction: each takes one advisory lock per lane of its jobs.</summary>
    private const int HeartbeatSlice = 50;

    /// <summary>A lease nobody holds: never taken, handed back, or run out.</summary>
    private const string Unheld = "(lease_owner IS NULL OR lease_until_ms IS NULL OR lease_until_ms < @now)";

    /// <summary>
    /// The advisory lock of a lane, as an SQL expression over <c>user_id</c> and <c>channel</c> (columns or
    /// parameters). Inserts, claims and heartbeats of a lane take it; distinct lanes whose hashes collide only
    /// share a lock, which costs waiting, never correctness.
    /// </summary>
    private static string LaneLock(string userId, string channel) =>
        $"{PostgresDatabase.LaneLockSpace}, hashtext({userId}::text || '/' || {channel})";

    private sealed record JobRow(string Status, string Data);

    private sealed record LeasedRow(string Status, string? LeaseOwner, string Data);

    private sealed record ClaimRow(string Status, int Attempt, int MaxAttempts, string Data);

    private sealed record LaneRow(long UserId, string Channel);

    public async Task<JobInsertion> InsertAsync(Job job, bool exclusiveOnChannel, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        // Every insert holds its lane's lock to its commit: the busy check and the insert are one step across
        // nodes, and a lane's sequence numbers commit in order, so a job never lands ahead of running ones. The lock,
        // the check and the insert go in one round trip, as two statements (the second's snapshot is taken once the
        // lock is held, so it sees every job committed before): a lane's inserts, which take turns, wait on one
        // client round trip each (the commit's), not on two or three. No lease: the job enters execution only
        // through a claim.
        List<string> executing;
        await using (var statements = await connection.QueryMultipleAsync(
            $"""
            SELECT pg_advisory_xact_lock({LaneLock("@UserId", "@Channel")});
            WITH busy AS (
                SELECT id, sequence FROM jobs
                WHERE @Exclusive AND user_id = @UserId AND channel = @Channel AND blocking AND {Executing}
            ),
            inserted AS (
                INSERT INTO jobs (id, user_id, channel, status, blocking, created_ms, updated_ms, attempt, max_attempts, message_id, data)
                SELECT @Id, @UserId, @Channel, @Status, @Blocking, @Created, @Updated, 0, @MaxAttempts, @MessageId, @Data
                WHERE NOT EXISTS (SELECT 1 FROM busy)
            )
            SELECT id FROM busy ORDER BY sequence
            """,
            new
            {
                job.Id, job.UserId, job.Channel, Status = job.Status.ToWire(), job.Blocking,
                Created = JobJson.ToMs(job.Created), Updated = JobJson.ToMs(job.Updated),
                MaxAttempts = Math.Max(1, options.Value.MaxAttempts), job.Upstream.MessageId, Data = JobJson.SerializeData(job),
                Exclusive = exclusiveOnChannel,
            }, transaction))
        {
            await statements.ReadAsync();
            executing = (await statements.ReadAsync<string>()).ToList();
        }
        if (executing.Count > 0) return new JobInsertion(false, executing);
        await transaction.CommitAsync(cancellationToken);
        return JobInsertion.Done;
    }

    public async Task<JobLookup> FindAsync(string id, CancellationToken cancellationToken)
    {
        if (!PostgresDatabase.CanHold(id)) return JobLookup.Missing;
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(bool Expired, string Status, string? Data)?>(
            "SELECT expired, status, data FROM jobs WHERE id = @id", new { id });
        return row switch
        {
            null => JobLookup.Missing,
            { Expired: true } => JobLookup.Gone,
            { Data: { } data } r => new JobLookup(JobJson.DeserializeData(data, r.Status), false),
            _ => JobLookup.Missing,
        };
    }

    public async Task<Job?> FindLeasedAsync(string id, string leaseOwner, CancellationToken cancellationToken)
    {
        if (!PostgresDatabase.CanHold(id)) return null;
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<JobRow>(
            $"SELECT status, data FROM jobs WHERE id = @id AND lease_owner = @leaseOwner AND NOT expired AND {Executing}",
            new { id, leaseOwner });
        return row is null ? null : JobJson.DeserializeData(row.Data, row.Status);
    }

    public async Task<Job?> UpdateAsync(string id, Func<Job, Job?> change, CancellationToken cancellationToken) =>
        (await WriteAsync(id, leaseOwner: null, change, cancellationToken)).Stored;

    public Task<LeasedWrite> UpdateLeasedAsync(string id, string leaseOwner, Func<Job, Job?> change, CancellationToken cancellationToken) =>
        WriteAsync(id, leaseOwner, change, cancellationToken);

    private async Task<LeasedWrite> WriteAsync(string id, string? leaseOwner, Func<Job, Job?> change, CancellationToken cancellationToken)
    {
        if (!PostgresDatabase.CanHold(id)) return LeasedWrite.NotWritten;
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        // The row lock makes read, change and write one step: a claim skips this row meanwhile, and a
        // competing writer waits and then reads what this one wrote.
        var row = await connection.QuerySingleOrDefaultAsync<LeasedRow>(
            "SELECT status, lease_owner AS LeaseOwner, data FROM jobs WHERE id = @id AND NOT expired FOR UPDATE",
            new { id }, transaction);
        if (row is null) return LeasedWrite.NotWritten;
        var current = JobJson.DeserializeData(row.Data, row.Status);
        var (next, refused) = JobWrite.Decide(current, row.LeaseOwner, leaseOwner, change);
        if (next is null) return refused!;
        await connection.ExecuteAsync(
            """
            UPDATE jobs SET status = @Status, updated_ms = @Updated, message_id = @MessageId, data = @Data,
                lease_owner = CASE WHEN @Terminal THEN NULL ELSE lease_owner END,
                lease_until_ms = CASE WHEN @Terminal THEN NULL ELSE lease_until_ms END
            WHERE id = @Id
            """,
            new
            {
                next.Id, Status = next.Status.ToWire(), Updated = JobJson.ToMs(next.Updated), next.Upstream.MessageId,
                Data = JobJson.SerializeData(next), Terminal = next.Status.IsTerminal(),
            }, transaction);
        await JobWrite.RecordEffectsAsync(connection, transaction, current, next);
        await transaction.CommitAsync(cancellationToken);
        return new LeasedWrite(next, false);
    }

    public async Task<IReadOnlyList<Job>> ListRecentAsync(long userId, JobCursor? before, int limit, CancellationToken cancellationToken)
    {
        if (before is not null && !PostgresDatabase.CanHold(before.Id)) return [];
        await using var connection = await database.OpenAsync(cancellationToken);
        // (created_ms, id) is a total order, so a page boundary between jobs created in the same millisecond loses none.
        var rows = await connection.QueryAsync<JobRow>(
            """
            SELECT status, data FROM jobs
            WHERE user_id = @userId AND NOT expired
              AND (@beforeId::text IS NULL OR (created_ms, id COLLATE "C") < (@beforeMs, @beforeId::text COLLATE "C"))
            ORDER BY created_ms DESC, id COLLATE "C" DESC LIMIT @limit
            """,
            new { userId, beforeMs = before is null ? 0 : JobJson.ToMs(before.Created), beforeId = before?.Id, limit = Math.Max(0, limit) });
        return rows.Select(row => JobJson.DeserializeData(row.Data, row.Status)).ToList();
    }

    public async Task<IReadOnlyList<string>> ListExecutingAsync(long userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<string>(
            $"SELECT id FROM jobs WHERE user_id = @userId AND {Executing} ORDER BY created_ms, sequence", new { userId })).ToList();
    }

    public async Task<IReadOnlySet<string>> ListBusyChannelsAsync(long userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<string>(
            $"SELECT DISTINCT channel FROM jobs WHERE user_id = @userId AND blocking AND {Executing}", new { userId })).ToHashSet();
    }

    /// <summary>
    /// Every lane with executing jobs, as <c>lanes(user_id, channel)</c>: a skip scan of jobs_lanes, one index seek
    /// per lane, so a lane's backlog costs nothing to pass over.
    /// </summary>
    private const string Lanes =
        $"""
        lanes(user_id, channel) AS (
            (SELECT user_id, channel FROM jobs WHERE {Executing} ORDER BY user_id, channel LIMIT 1)
            UNION ALL
            SELECT next.user_id, next.channel FROM lanes AS l CROSS JOIN LATERAL (
                SELECT user_id, channel FROM jobs
                WHERE {Executing} AND (user_id, channel) > (l.user_id, l.channel)
                ORDER BY user_id, channel LIMIT 1) AS next
        )
        """;

    /// <summary>
    /// The first laneDepth executing jobs of each open lane of <paramref name="lanes"/> (a relation of
    /// <c>(user_id, channel)</c>), with their place in it. "place" is a job's position in its lane among all executing
    /// jobs, held or not: a lane never has more than laneDepth jobs leased, and ordering by place first makes the
    /// lanes take turns. A lane where another node holds a live lease (jobs_lane_leases) is not open to this one: a
    /// lane runs on one node at a time. Only each lane's head is read (jobs_lanes, in the lane's order), never its
    /// backlog: reading every executing job made each claim, which the dispatcher runs after every insert, slower as
    /// jobs piled up.
    /// </summary>
    private static string Heads(string lanes) =>
        $"""
        heads AS (
            SELECT l.user_id, l.channel, h.id, h.sequence, h.lease_owner, h.lease_until_ms,
                   ROW_NUMBER() OVER (PARTITION BY l.user_id, l.channel ORDER BY h.sequence) AS place
            FROM {lanes} AS l CROSS JOIN LATERAL (
                SELECT id, sequence, lease_owner, lease_until_ms FROM jobs AS j
                WHERE j.user_id = l.user_id AND j.channel = l.channel AND j.{Executing}
                ORDER BY j.sequence LIMIT @laneDepth) AS h
            WHERE NOT EXISTS (SELECT 1 FROM jobs AS o
                              WHERE o.user_id = l.user_id AND o.channel = l.channel AND o.{Executing}
                                AND o.lease_owner <> @leaseOwner AND o.lease_until_ms >= @now)
        )
        """;

    /// <summary>
    /// Two steps in one transaction. First, the lanes that have a job to give this node are found and locked with
    /// <c>pg_try_advisory_xact_lock</c>: a lane another node is claiming right now is left to it (no waiting).
    /// Then, in a statement that sees every claim committed before the locks were taken, the jobs of those lanes
    /// are chosen again and taken, rows locked <c>FOR UPDATE SKIP LOCKED</c> (a row that a writer holds is
    /// skipped, and its lease is checked again as locked). Each step reads every lane's head and live leases,
    /// never its backlog.
    /// </summary>
    public async Task<IReadOnlyList<ClaimedJob>> ClaimAsync(string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil,
        int laneDepth, int max, CancellationToken cancellationToken)
    {
        var args = new { leaseOwner, until = JobJson.ToMs(leaseUntil), now = JobJson.ToMs(now), laneDepth, max };
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        // Materialized, so the lock is tried only on the lanes chosen, each once.
        var lanes = (await connection.QueryAsync<LaneRow>(
            $"""
            WITH RECURSIVE {Lanes},
            {Heads("lanes")},
            open_lanes AS MATERIALIZED (
                SELECT user_id, channel FROM heads WHERE {Unheld}
                GROUP BY user_id, channel
                ORDER BY min(place), min(sequence)
                LIMIT @max
            )
            SELECT user_id AS UserId, channel AS Channel FROM open_lanes
            WHERE pg_try_advisory_xact_lock({LaneLock("user_id", "channel")})
            """, args, transaction)).ToList();
        if (lanes.Count == 0) return [];
        var rows = (await connection.QueryAsync<ClaimRow>(
            $"""
            WITH locked AS (
                SELECT * FROM unnest(@userIds, @channels) AS l(user_id, channel)
            ),
            {Heads("locked")},
            chosen AS (
                SELECT id FROM heads WHERE {Unheld} ORDER BY place, sequence LIMIT @max
            ),
            taken AS (
                SELECT id FROM jobs WHERE id IN (SELECT id FROM chosen) AND {Executing} AND {Unheld}
                FOR UPDATE SKIP LOCKED
            )
            UPDATE jobs SET lease_owner = @leaseOwner, lease_until_ms = @until, attempt = attempt + 1
            WHERE id IN (SELECT id FROM taken)
            RETURNING status, attempt, max_attempts AS MaxAttempts, data
            """,
            new
            {
                args.leaseOwner, args.until, args.now, args.laneDepth, args.max,
                userIds = lanes.Select(l => l.UserId).ToArray(), channels = lanes.Select(l => l.Channel).ToArray(),
            }, transaction)).ToList();
        await transaction.CommitAsync(cancellationToken);
        return rows
            .Select(r => new ClaimedJob(JobJson.DeserializeData(r.Data, r.Status), r.Attempt, r.MaxAttempts))
            .OrderBy(c => c.Job.Created).ThenBy(c => c.Job.Id, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Renews under the lanes' locks (taken in one order, so heartbeats never deadlock), and only where no other
    /// node took the lane meanwhile: a lease that ran out is not revived once another node holds a lease in its
    /// lane that outlasts it, since that node's claim came after this lease ended. That check reads the lane's leases
    /// (jobs_lane_leases), not its backlog.
    /// </summary>
    public async Task<IReadOnlySet<string>> HeartbeatAsync(IReadOnlyCollection<string> ids, string leaseOwner, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        var renewed = new HashSet<string>();
        // In slices, so one transaction never takes more advisory locks than the server's lock table allows
        // for it (a node may hold thousands of queued jobs).
        foreach (var slice in ids.Chunk(HeartbeatSlice))
        {
            var args = new { ids = slice, leaseOwner, until = JobJson.ToMs(leaseUntil) };
            await using var connection = await database.OpenAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
            await connection.ExecuteAsync(
                $"""
                SELECT pg_advisory_xact_lock({PostgresDatabase.LaneLockSpace}, lane) FROM (
                    SELECT DISTINCT hashtext(user_id::text || '/' || channel) AS lane
                    FROM jobs WHERE id = ANY(@ids) AND lease_owner = @leaseOwner AND {Executing}
                    ORDER BY lane
                ) lanes
                """, args, transaction);
            renewed.UnionWith(await connection.QueryAsync<string>(
                $"""
                UPDATE jobs j SET lease_until_ms = @until
                WHERE j.id = ANY(@ids) AND j.lease_owner = @leaseOwner AND j.{Executing}
                  AND NOT EXISTS (SELECT 1 FROM jobs o
                                  WHERE o.user_id = j.user_id AND o.channel = j.channel AND o.{Executing}
                                    AND o.lease_owner <> @leaseOwner AND o.lease_until_ms > j.lease_until_ms)
                RETURNING j.id
                """, args, transaction));
            await transaction.CommitAsync(cancellationToken);
        }
        return renewed;
    }

    public async Task ReleaseAsync(IReadOnlyCollection<string> ids, string leaseOwner, CancellationToken cancellationToken)
    {
        if (ids.Count == 0) return;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            $"""
            UPDATE jobs SET lease_owner = NULL, lease_until_ms = NULL, attempt = GREATEST(attempt - 1, 0)
            WHERE id = ANY(@ids) AND lease_owner = @leaseOwner AND {Executing}
            """,
            new { ids = ids.ToArray(), leaseOwner });
    }

    public async Task<IReadOnlyList<Job>> ListPastRetentionAsync(DateTimeOffset createdBefore, int max, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<JobRow>(
            "SELECT status, data FROM jobs WHERE NOT expired AND created_ms < @before ORDER BY created_ms LIMIT @max",
            new { before = JobJson.ToMs(createdBefore), max });
        return rows.Select(r => JobJson.DeserializeData(r.Data, r.Status)).ToList();
    }

    public async Task MarkExpiredAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        await connection.ExecuteAsync("DELETE FROM attachments WHERE job_id = @id", new { id }, transaction);
        // An expired job leaves the executing set too, so no node ever claims it again.
        await connection.ExecuteAsync(
            $"""
            UPDATE jobs SET expired = true, data = NULL, message_id = NULL, lease_owner = NULL, lease_until_ms = NULL,
                status = CASE WHEN {Executing} THEN 'cancelled' ELSE status END
            WHERE id = @id
            """,
            new { id }, transaction);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<Job?> FindByMessageIdAsync(long userId, string channel, string messageId, CancellationToken cancellationToken)
    {
        if (!PostgresDatabase.CanHold(channel) || !PostgresDatabase.CanHold(messageId)) return null;
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<JobRow>(
            """
            SELECT status, data FROM jobs
            WHERE user_id = @userId AND channel = @channel AND message_id = @messageId AND NOT expired
            ORDER BY created_ms DESC, sequence DESC LIMIT 1
            """,
            new { userId, channel, messageId });
        return row is null ? null : JobJson.DeserializeData(row.Data, row.Status);
    }

    public async Task<string?> NewestMessageIdAsync(string channel, CancellationToken cancellationToken)
    {
        if (!PostgresDatabase.CanHold(channel)) return null;
        await using var connection = await database.OpenAsync(cancellationToken);
        // Longer digit strings are larger numbers; equal lengths compare byte by byte. One seek on jobs_channel_message.
        return await connection.QueryFirstOrDefaultAsync<string?>(
            """
            SELECT message_id FROM jobs
            WHERE channel = @channel AND message_id IS NOT NULL
            ORDER BY length(message_id) DESC, message_id COLLATE "C" DESC
            LIMIT 1
            """,
            new { channel });
    }

    public async Task<Attachment?> FindAttachmentAsync(string attachmentId, CancellationToken cancellationToken)
    {
        if (!PostgresDatabase.CanHold(attachmentId)) return null;
        await using var connection = await database.OpenAsync(cancellationToken);
        var data = await connection.QuerySingleOrDefaultAsync<string?>(
            "SELECT data FROM attachments WHERE id = @attachmentId", new { attachmentId });
        return data is null ? null : JobJson.Deserialize<Attachment>(data);
    }
}
