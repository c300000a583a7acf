using System.Collections.Concurrent;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace FaceSwap.Core.Tests.Stores;

/// <summary>
/// Dispatchers (nodes) on one real database of each provider, on fake time: leases run out, heartbeats and
/// recovery scans happen only when the test advances the clock.
/// </summary>
public abstract class JobDispatcherContract(ITestOutputHelper output)
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

    protected abstract Task<JobsDatabase> CreateAsync();

    private static JobsOptions Options(int shared = 32, int perChannel = 8) => new()
    {
        LeaseDuration = Lease,
        RecoveryInterval = TimeSpan.FromSeconds(5),
        MaxConcurrentJobs = shared,
        MaxConcurrentJobsPerChannel = perChannel,
        MaxAttempts = 3,
    };

    [SkippableFact]
    public async Task Two_nodes_racing_on_one_database_run_each_job_exactly_once()
    {
        await using var database = await CreateAsync();
        var runs = new ConcurrentDictionary<string, int>();
        var store = database.JobStore();
        var jobs = new List<Job>();
        for (var lane = 0; lane < 8; lane++)
        {
            var user = await database.AddUserWithChannelsAsync($"user{lane}", RecordingEngine.EngineName, "c");
            jobs.AddRange(await TestJobs.InsertAsync(store, user, "c", 25, _clock.GetUtcNow()));
        }
        // Small lanes and budgets, so each node claims again and again as its runs end, racing the other.
        await using var a = new TestNode(database, _clock, new RecordingEngine(runs), Options(shared: 3, perChannel: 2));
        await using var b = new TestNode(database, _clock, new RecordingEngine(runs), Options(shared: 3, perChannel: 2));
        await Task.WhenAll(a.StartAsync(), b.StartAsync());

        foreach (var job in jobs) await Eventually.JobEndsAsync(store, job.Id);

        var byNode = new Dictionary<string, int>();
        foreach (var job in jobs)
        {
            var found = (await store.FindAsync(job.Id, CancellationToken.None)).Job!;
            Assert.Equal(JobStatus.Completed, found.Status);
        }
        output.WriteLine($"{jobs.Count} jobs, {runs.Values.Sum()} runs");
        Assert.Equal(jobs.Count, runs.Count);
        Assert.All(jobs, j => Assert.Equal(1, runs[j.Id]));
        // No time passed: no lease could run out, so nothing was ever claimed twice.
        Assert.Equal(1, await database.ScalarAsync<long>("SELECT MAX(attempt) FROM jobs"));
    }

    [SkippableFact]
    public async Task A_waiting_job_keeps_its_lease_while_its_node_lives()
    {
        await using var database = await CreateAsync();
        var engine = new RecordingEngine(gated: true);
        var store = database.JobStore();
        var user = await database.AddUserWithChannelsAsync("ann", RecordingEngine.EngineName, "c");
        var (running, waiting) = (await TestJobs.InsertAsync(store, user, "c", 2, _clock.GetUtcNow())) switch { var j => (j[0], j[1]) };
        // One slot: the second job is claimed and waits in memory behind the first.
        await using var node = new TestNode(database, _clock, engine, Options(shared: 1));
        await node.StartAsync();
        await engine.WaitStartedAsync(running.Id);
        Assert.Equal(node.Id, (await database.LeaseOfAsync(waiting.Id)).LeaseOwner);

        // Three leases' worth of time, a heartbeat at a time: a rival's recovery scan never finds either job.
        for (var beat = 0; beat < 9; beat++)
        {
            _clock.Advance(Lease / 3);
            var renewedUntil = JobJson.ToMs(_clock.GetUtcNow() + Lease);
            await Eventually.TrueAsync(async () => (await database.LeaseOfAsync(waiting.Id)).LeaseUntilMs == renewedUntil
                                                   && (await database.LeaseOfAsync(running.Id)).LeaseUntilMs == renewedUntil, "the heartbeat");
            Assert.Empty(await store.ClaimAsync("rival", _clock.GetUtcNow(), _clock.GetUtcNow() + Lease, 8, 100, CancellationToken.None));
        }

        engine.Open(running.Id);
        engine.Open(waiting.Id);
        await Eventually.JobEndsAsync(store, waiting.Id);
        Assert.Equal(1, engine.Runs[running.Id]);
        Assert.Equal(1, engine.Runs[waiting.Id]);
        Assert.Equal(1, (await database.LeaseOfAsync(waiting.Id)).Attempt);
    }

    [SkippableFact]
    public async Task A_dead_nodes_job_is_claimed_after_its_lease_runs_out_and_runs_once()
    {
        await using var database = await CreateAsync();
        var engine = new RecordingEngine();
        var store = database.JobStore();
        var user = await database.AddUserWithChannelsAsync("ann", RecordingEngine.EngineName, "c");
        var job = (await TestJobs.InsertAsync(store, user, "c", 1, _clock.GetUtcNow()))[0];
        // A node claimed it and died (no release, no heartbeat).
        Assert.Single(await store.ClaimAsync("dead-node", _clock.GetUtcNow(), _clock.GetUtcNow() + Lease, 8, 10, CancellationToken.None));

        await using var node = new TestNode(database, _clock, engine, Options());
        await node.StartAsync();
        _clock.Advance(Lease / 2);
        Assert.Equal("dead-node", (await database.LeaseOfAsync(job.Id)).LeaseOwner);
        Assert.False(engine.Runs.ContainsKey(job.Id));

        // Past the lease: the next recovery scan (every 5 s of fake time) takes the job over.
        _clock.Advance(Lease / 2 + TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => Task.FromResult(engine.Runs.ContainsKey(job.Id)), "the takeover");
        await Eventually.JobEndsAsync(store, job.Id);
        Assert.Equal(1, engine.Runs[job.Id]);
        Assert.Equal(new LeaseRow("completed", null, null, 2, 3), await database.LeaseOfAsync(job.Id));
    }

    [SkippableFact]
    public async Task A_job_whose_runs_were_cut_off_three_times_gives_up()
    {
        await using var database = await CreateAsync();
        var engine = new RecordingEngine();
        var store = database.JobStore();
        var user = await database.AddUserWithChannelsAsync("ann", RecordingEngine.EngineName, "c");
        var job = (await TestJobs.InsertAsync(store, user, "c", 1, _clock.GetUtcNow()))[0];
        // Three nodes in turn claim it and crash mid-run: each lease runs out unrenewed.
        for (var crash = 1; crash <= 3; crash++)
        {
            var claim = Assert.Single(await store.ClaimAsync($"crashed-{crash}", _clock.GetUtcNow(), _clock.GetUtcNow() + Lease, 8, 10, CancellationToken.None));
            Assert.Equal(crash, claim.Attempt);
            _clock.Advance(Lease + TimeSpan.FromSeconds(1));
        }

        await using var node = new TestNode(database, _clock, engine, Options());
        var ended = new TaskCompletionSource<Job>(TaskCreationOptions.RunContinuationsAsynchronously);
        node.Notifier.Changed += j => { if (j.Id == job.Id && j.Status.IsTerminal()) ended.TrySetResult(j); };
        await node.StartAsync();

        var failed = await ended.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Failed, failed.Status);
        Assert.Contains("gave up after 3 attempts", failed.Error);
        Assert.False(engine.Runs.ContainsKey(job.Id));
        Assert.Equal(new LeaseRow("failed", null, null, 4, 3), await database.LeaseOfAsync(job.Id));
    }

    [SkippableFact]
    public async Task A_run_whose_lease_was_taken_over_writes_nothing_and_stops()
    {
        await using var database = await CreateAsync();
        var engine = new RecordingEngine(gated: true);
        var store = database.JobStore();
        var user = await database.AddUserWithChannelsAsync("ann", RecordingEngine.EngineName, "c");
        var job = (await TestJobs.InsertAsync(store, user, "c", 1, _clock.GetUtcNow()))[0];
        await using var node = new TestNode(database, _clock, engine, Options());
        await node.StartAsync();
        await engine.WaitStartedAsync(job.Id);

        // Another node holds the job now (this one was paused past its lease, say).
        await database.ExecuteAsync("UPDATE jobs SET lease_owner = 'rival' WHERE id = @Id", new { job.Id });
        engine.Open(job.Id);

        await Eventually.TrueAsync(() => Task.FromResult(engine.Stopped.Contains(job.Id)), "the run to stop");
        var stored = (await store.FindAsync(job.Id, CancellationToken.None)).Job!;
        Assert.Equal(JobStatus.Started, stored.Status);
        Assert.Equal("rival", (await database.LeaseOfAsync(job.Id)).LeaseOwner);
        Assert.Equal(0, await database.BlobCountAsync());
    }

    [SkippableFact]
    public async Task The_dispatcher_rereads_a_job_before_running_it()
    {
        await using var database = await CreateAsync();
        var engine = new RecordingEngine(gated: true);
        var store = database.JobStore();
        var user = await database.AddUserWithChannelsAsync("ann", RecordingEngine.EngineName, "c");
        var jobs = await TestJobs.InsertAsync(store, user, "c", 2, _clock.GetUtcNow());
        await using var node = new TestNode(database, _clock, engine, Options(shared: 1));
        await node.StartAsync();
        await engine.WaitStartedAsync(jobs[0].Id);

        // The waiting job is cancelled by its user while it is claimed and queued here.
        Assert.NotNull(await store.UpdateAsync(jobs[1].Id, j => j with { Status = JobStatus.Cancelled }, CancellationToken.None));
        var later = TestJobs.New(user, "c", _clock.GetUtcNow().AddSeconds(1));
        await store.InsertAsync(later, false, CancellationToken.None);
        node.Dispatcher.Wake();
        engine.Open(jobs[0].Id);
        engine.Open(later.Id);

        // The lane runs in order: once the later job ran, the cancelled one had its turn and was skipped.
        await Eventually.JobEndsAsync(store, later.Id);
        Assert.False(engine.Runs.ContainsKey(jobs[1].Id));
        Assert.Equal(JobStatus.Cancelled, (await store.FindAsync(jobs[1].Id, CancellationToken.None)).Job!.Status);
    }

    [SkippableFact]
    public async Task A_channel_runs_on_one_node_until_that_node_dies_then_on_another()
    {
        await using var database = await CreateAsync();
        var store = database.JobStore();
        var ann = await database.AddUserWithChannelsAsync("ann", RecordingEngine.EngineName, "c");
        var bob = await database.AddUserWithChannelsAsync("bob", RecordingEngine.EngineName, "c");
        var lane = await TestJobs.InsertAsync(store, ann, "c", 3, _clock.GetUtcNow());
        // Node a runs the channel's first job and holds it; it claims nothing more (one job per channel, no scans).
        var onA = new RecordingEngine(gated: true);
        var aOptions = Options(perChannel: 1);
        aOptions.RecoveryInterval = TimeSpan.FromDays(1);
        var a = new TestNode(database, _clock, onA, aOptions);
        await a.StartAsync();
        await onA.WaitStartedAsync(lane[0].Id);
        var onB = new RecordingEngine();
        await using var b = new TestNode(database, _clock, onB, Options(perChannel: 8));
        await b.StartAsync();

        // Two leases' worth of time: node b claims and runs another user's jobs, never the channel node a holds.
        for (var beat = 0; beat < 6; beat++)
        {
            _clock.Advance(Lease / 3);
            var renewedUntil = JobJson.ToMs(_clock.GetUtcNow() + Lease);
            await Eventually.TrueAsync(async () => (await database.LeaseOfAsync(lane[0].Id)).LeaseUntilMs == renewedUntil, "node a's heartbeat");
            var probe = (await TestJobs.InsertAsync(store, bob, "c", 1, _clock.GetUtcNow()))[0];
            b.Dispatcher.Wake();
            await Eventually.JobEndsAsync(store, probe.Id);
            Assert.Equal(1, onB.Runs[probe.Id]);
            Assert.Equal(new LeaseRow("created", null, null, 0, 3), await database.LeaseOfAsync(lane[1].Id));
        }

        // Node a dies (no hand-back): once its leases ran out, node b takes the channel and runs it, in order.
        a.Dispatcher.Dispose();
        _clock.Advance(Lease + TimeSpan.FromSeconds(1));
        foreach (var job in lane) await Eventually.JobEndsAsync(store, job.Id);
        Assert.All(lane, job => Assert.Equal(1, onB.Runs[job.Id]));
        Assert.Equal(1, onA.Runs[lane[0].Id]);
        Assert.Equal(new LeaseRow("completed", null, null, 2, 3), await database.LeaseOfAsync(lane[0].Id));
    }

    [SkippableFact]
    public async Task A_clean_stop_hands_waiting_and_running_jobs_back_for_the_next_start()
    {
        await using var database = await CreateAsync();
        var engine = new RecordingEngine(gated: true);
        var store = database.JobStore();
        var user = await database.AddUserWithChannelsAsync("ann", RecordingEngine.EngineName, "c");
        var jobs = await TestJobs.InsertAsync(store, user, "c", 2, _clock.GetUtcNow());
        var node = new TestNode(database, _clock, engine, Options(shared: 1));
        await node.StartAsync();
        await engine.WaitStartedAsync(jobs[0].Id);
        Assert.Equal(node.Id, (await database.LeaseOfAsync(jobs[1].Id)).LeaseOwner);

        await node.DisposeAsync();

        Assert.Equal(new LeaseRow("started", null, null, 0, 3), await database.LeaseOfAsync(jobs[0].Id));
        Assert.Equal(new LeaseRow("created", null, null, 0, 3), await database.LeaseOfAsync(jobs[1].Id));
        // No lease to wait out: a fresh node claims both at once, without the clock moving.
        var next = new RecordingEngine();
        await using var restarted = new TestNode(database, _clock, next, Options());
        await restarted.StartAsync();
        foreach (var job in jobs) await Eventually.JobEndsAsync(store, job.Id);
        Assert.Equal(JobStatus.Completed, (await store.FindAsync(jobs[1].Id, CancellationToken.None)).Job!.Status);
    }
}

public sealed class SqliteJobDispatcherTests(ITestOutputHelper output) : JobDispatcherContract(output)
{
    protected override Task<JobsDatabase> CreateAsync() => JobsDatabase.SqliteAsync();
}

public sealed class PostgresJobDispatcherTests(ITestOutputHelper output) : JobDispatcherContract(output)
{
    protected override Task<JobsDatabase> CreateAsync() => JobsDatabase.PostgresAsync();
}
