using System.Threading.Channels;
using FaceSwap.Core.Dispatch;
using FaceSwap.Core.Jobs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace FaceSwap.Core.Storage.Postgres;

/// <summary>
/// Job changes between the nodes that share one PostgreSQL database, over LISTEN/NOTIFY, so a client waits on
/// whichever node it asked (<c>Prefer: wait</c>, a job stream) while another node runs its job.
/// <para>
/// Out: every change this node publishes (<see cref="JobNotifier.Changed"/>, raised once the write is committed)
/// is announced on <see cref="ChannelName"/> as <c>"{jobId} {userId} {status} {node}"</c>; announcements queued
/// meanwhile go out together in one statement.
/// </para>
/// <para>
/// In: one connection per node listens. Another node's announcement of a job someone here waits on is re-read
/// from the store (the notice says only which job) and handed to the local <see cref="JobNotifier"/>, which drops
/// what is not newer than what it last published; a terminal one also stops this node's run of that job (a cancel
/// on another node). A lost connection is opened again with backoff, and every job waited on here is re-read once
/// it listens again, since notices sent while nobody listened are gone.
/// </para>
/// <para>
/// Waits: a job someone here starts to wait for is announced too (and again every ten seconds while they wait), so
/// the node that runs it treats it as a job with a waiting client (<see cref="JobWaiters.IsWaiting"/>), and a new
/// command waited for elsewhere is claimed by the node that holds its lane.
/// </para>
/// </summary>
public sealed class PostgresJobChanges(
    PostgresDatabase database,
    IJobStore jobs,
    JobNotifier notifier,
    JobDispatcher dispatcher,
    TimeProvider clock,
    ILogger<PostgresJobChanges> logger) : BackgroundService
{
    public const string ChannelName = "faceswap_jobs";

    /// <summary>The <c>application_name</c> of each node's listening connection.</summary>
    public const string ListenerName = "faceswap job changes";

    /// <summary>A listening connection silent for this long is probed, so a dead one is noticed and replaced.</summary>
    private static readonly TimeSpan Probe = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(10);
    private const int BatchSize = 500;
    /// <summary>The status word of a notice that says a client waits for the job on the announcing node.</summary>
    private const string Watched = "watched";
    private static readonly TimeSpan WatchRenewal = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan WatchLifetime = TimeSpan.FromSeconds(30);
    /// <summary>How long a node leaves a command waited for elsewhere to the node that took it before claiming.</summary>
    private static readonly TimeSpan ClaimGrace = TimeSpan.FromSeconds(1);
    private const int CatchUpJobsPerUser = 100;
    private static readonly TimeSpan ClockMargin = TimeSpan.FromSeconds(5);

    private readonly Channel<string> _announcements = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<string> _notices = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _firstListen = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _listening;
    /// <summary>When this node last stopped listening (null before the first listen).</summary>
    private DateTimeOffset? _quietSince;

    /// <summary>True while this node's listening connection is open.</summary>
    public bool Listening => _listening;

    /// <summary>Completes when the node first listens (start-up waits on it, so no early change is missed).</summary>
    public Task FirstListen => _firstListen.Task;

    /// <summary>Times the listening connection was opened again after it was lost.</summary>
    public int Reconnects { get; private set; }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        notifier.Changed += Announce;
        notifier.Watching += AnnounceWatching;
        await base.StartAsync(cancellationToken);
        // Serve no request before this node hears the others: a waiter that started earlier could miss a change.
        try
        {
            await FirstListen.WaitAsync(TimeSpan.FromSeconds(10), clock, cancellationToken);
        }
        catch (TimeoutException)
        {
            logger.LogWarning("Not yet listening for other nodes' job changes; waiters here catch up once it does");
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        notifier.Changed -= Announce;
        notifier.Watching -= AnnounceWatching;
        _announcements.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(
            Task.Run(() => SendAsync(stoppingToken), CancellationToken.None),
            Task.Run(() => ListenAsync(stoppingToken), CancellationToken.None),
            Task.Run(() => ReceiveAsync(stoppingToken), CancellationToken.None),
            Task.Run(() => RenewWatchingAsync(stoppingToken), CancellationToken.None));

    private void Announce(Job job) =>
        _announcements.Writer.TryWrite($"{job.Id} {job.UserId} {job.Status.ToWire()} {dispatcher.NodeId}");

    private void AnnounceWatching(string jobId) => _announcements.Writer.TryWrite($"{jobId} 0 {Watched} {dispatcher.NodeId}");

    /// <summary>
    /// Says again, every <see cref="WatchRenewal"/>, which jobs clients wait for here, and forgets the waits elsewhere
    /// that were not said again: a wait elsewhere counts for <see cref="WatchLifetime"/> from its last mention.
    /// </summary>
    private async Task RenewWatchingAsync(CancellationToken stoppingToken)
    {
        using var renewals = new PeriodicTimer(WatchRenewal, clock);
        try
        {
            while (await renewals.WaitForNextTickAsync(stoppingToken))
            {
                foreach (var jobId in notifier.WatchedJobs()) AnnounceWatching(jobId);
                notifier.ForgetWatchedElsewhere(clock.GetUtcNow());
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Sends what is queued in one statement; a failed send is retried, so a short outage loses nothing.</summary>
    private async Task SendAsync(CancellationToken stoppingToken)
    {
        var batch = new List<string>(BatchSize);
        var retry = FirstRetry;
        // The writer completes at stop: what was queued before still goes out (the shutdown's own last changes).
        while (batch.Count > 0 || await _announcements.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < BatchSize && _announcements.Reader.TryRead(out var payload)) batch.Add(payload);
            try
            {
                await using var command = database.DataSource.CreateCommand("SELECT pg_notify(@channel, payload) FROM unnest(@payloads) AS payload");
                command.Parameters.Add(new NpgsqlParameter<string>("channel", ChannelName));
                command.Parameters.Add(new NpgsqlParameter<string[]>("payloads", batch.ToArray()));
                await command.ExecuteNonQueryAsync(CancellationToken.None);
                batch.Clear();
                retry = FirstRetry;
            }
            catch (Exception e)
            {
                if (stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning("{Count} job changes were not announced to other nodes at shutdown", batch.Count);
                    return;
                }
                logger.LogWarning(e, "Announcing {Count} job changes to other nodes failed; retrying in {Retry}", batch.Count, retry);
                await DelayAsync(retry, stoppingToken);
                retry = Longer(retry);
            }
        }
    }

    /// <summary>Holds the listening connection, opening it again (with backoff) whenever it is lost.</summary>
    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        var retry = FirstRetry;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await database.DataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => _notices.Writer.TryWrite(e.Payload);
                // Named, so an operator (or a test) can tell the listening connections apart in pg_stat_activity.
                await using (var listen = new NpgsqlCommand($"SET application_name = '{ListenerName}'; LISTEN {ChannelName}", connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                _listening = true;
                retry = FirstRetry;
                if (!_firstListen.TrySetResult())
                {
                    Reconnects++;
                    logger.LogInformation("Listening for other nodes' job changes again; re-reading the jobs waited on here");
                }
                // Whatever changed while nobody listened (or before the first listen) reaches the waiters this way.
                _notices.Writer.TryWrite(CatchUp);
                while (!stoppingToken.IsCancellationRequested)
                {
                    if (!await connection.WaitAsync(Probe, stoppingToken))
                    {
                        await using var probe = new NpgsqlCommand("SELECT 1", connection);
                        await probe.ExecuteScalarAsync(stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Listening for other nodes' job changes failed; trying again in {Retry}", retry);
            }
            finally
            {
                if (_listening) _quietSince = clock.GetUtcNow();
                _listening = false;
            }
            if (stoppingToken.IsCancellationRequested) return;
            await DelayAsync(retry, stoppingToken);
            retry = Longer(retry);
        }
    }

    /// <summary>Marks the point where every job waited on here is to be re-read.</summary>
    private const string CatchUp = "";

    /// <summary>
    /// Takes the notices in batches, one at a time: within a batch each job is read once, and a batch's reads
    /// start after the previous batch's ended, so a later read never hands over an older state.
    /// </summary>
    private async Task ReceiveAsync(CancellationToken stoppingToken)
    {
        var batch = new List<string>(BatchSize);
        try
        {
            while (await _notices.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                while (batch.Count < BatchSize && _notices.Reader.TryRead(out var notice)) batch.Add(notice);
                try
                {
                    await ApplyAsync(batch, stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning(e, "Applying {Count} job changes from other nodes failed; re-reading the jobs waited on here", batch.Count);
                    await DelayAsync(FirstRetry, stoppingToken);
                    _notices.Writer.TryWrite(CatchUp);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ApplyAsync(List<string> batch, CancellationToken stoppingToken)
    {
        var reread = new HashSet<string>(StringComparer.Ordinal);
        var wakeSoon = false;
        var catchUpUsers = false;
        foreach (var payload in batch)
        {
            if (payload == CatchUp)
            {
                reread.UnionWith(notifier.WatchedJobs());
                catchUpUsers = true;
                continue;
            }
            if (Notice.Parse(payload) is not { } notice || notice.Node == dispatcher.NodeId) continue;
            if (notice.Status is null)
            {
                notifier.WatchedElsewhere(notice.JobId, clock.GetUtcNow() + WatchLifetime);
                // A command whose request waits on another node may be new in a lane this node holds: claim soon. Not
                // at once: the node that took the request claims first, so a free channel stays where it is asked.
                wakeSoon = true;
                continue;
            }
            // A job new elsewhere may belong to a lane this node holds: claim soon, as for a command waited for elsewhere.
            if (notice.Status == JobStatus.Created) wakeSoon = true;
            // Cancelled (or otherwise ended) elsewhere: a run of it here stops instead of working on for nothing.
            if (notice.Status.Value.IsTerminal()) dispatcher.StopRun(notice.JobId);
            if (notifier.IsWatched(notice.JobId, notice.UserId)) reread.Add(notice.JobId);
        }
        if (wakeSoon) _ = WakeAfterAsync(ClaimGrace, stoppingToken);
        await Parallel.ForEachAsync(reread, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = stoppingToken },
            async (jobId, ct) =>
            {
                if ((await jobs.FindAsync(jobId, ct)).Job is { } job) notifier.PublishFromPeer(job);
            });
        if (catchUpUsers && _quietSince is { } since)
        {
            // Whole-user listeners (dashboards) name no job: their users' recent jobs that changed since the connection
            // was lost are handed over again, with a margin for the clocks of the nodes that wrote them.
            foreach (var userId in notifier.WatchedUsers())
            {
                foreach (var job in await jobs.ListRecentAsync(userId, null, CatchUpJobsPerUser, stoppingToken))
                {
                    if (job.Updated >= since - ClockMargin && !reread.Contains(job.Id)) notifier.PublishFromPeer(job);
                }
            }
        }
    }

    private async Task WakeAfterAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        await DelayAsync(delay, stoppingToken);
        if (!stoppingToken.IsCancellationRequested) dispatcher.Wake();
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, clock, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static TimeSpan Longer(TimeSpan retry) => retry * 2 < LongestRetry ? retry * 2 : LongestRetry;

    /// <summary>
    /// One announcement as it travels: which job, whose, its new status (none: a client waits for it on that node),
    /// and the node that announced it.
    /// </summary>
    private sealed record Notice(string JobId, long UserId, JobStatus? Status, string Node)
    {
        public static Notice? Parse(string payload)
        {
            var parts = payload.Split(' ', 4);
            if (parts.Length != 4 || !long.TryParse(parts[1], out var userId)) return null;
            if (parts[2] == Watched) return new Notice(parts[0], userId, null, parts[3]);
            return Enum.TryParse<JobStatus>(parts[2], ignoreCase: true, out var status) ? new Notice(parts[0], userId, status, parts[3]) : null;
        }
    }
}
