using System.Collections.Concurrent;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Storage.Sqlite;
using FaceSwap.Core.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FaceSwap.Core.Tests;

/// <summary>The claim statement on a real SQLite file: the one way a job enters execution.</summary>
public sealed class JobClaimTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private readonly TestDatabase _db = new();
    private readonly DateTimeOffset _t0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    public void Dispose() => _db.Dispose();

    [Fact]
    public async Task A_new_job_is_stored_unclaimed()
    {
        var store = _db.JobStore(new JobsOptions { MaxAttempts = 5 });
        var user = await _db.AddUserWithChannelsAsync("ann", RecordingEngine.EngineName, "c1");
        var job = (await TestJobs.InsertAsync(store, user, "c1", 1, _t0))[0];

        Assert.Equal(new LeaseRow("created", null, null, 0, 5), await _db.LeaseOfAsync(job.Id));
    }

    [Fact]
    public async Task Two_owners_racing_on_separate_connections_claim_each_job_once()
    {
        var setup = _db.JobStore();
        var jobs = new List<Job>();
        for (var lane = 0; lane < 10; lane++)
        {
            var user = await _db.AddUserWithChannelsAsync($"user{lane}", RecordingEngine.EngineName, "c");
            jobs.AddRange(await TestJobs.InsertAsync(setup, user, "c", 30, _t0.AddSeconds(lane)));
        }

        // Two owners, each with its own database handle, claim and finish jobs as fast as they can.
        var claims = new ConcurrentDictionary<string, ConcurrentBag<string>>();
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<int> WorkAsync(string owner)
        {
            var store = new SqliteJobStore(_db.Open(), TestDatabase.Options(new JobsOptions()));
            await go.Task;
            var mine = 0;
            while (true)
            {
                var claimed = await store.ClaimAsync(owner, _t0, _t0 + Lease, laneDepth: 2, max: 7, CancellationToken.None);
                if (claimed.Count == 0 && !await AnyExecutingAsync(store, jobs)) return mine;
                foreach (var claim in claimed)
                {
                    claims.GetOrAdd(claim.Job.Id, _ => []).Add(owner);
                    var done = await store.UpdateLeasedAsync(claim.Job.Id, owner,
                        j => j with { Status = JobStatus.Completed, Updated = _t0 }, CancellationToken.None);
                    Assert.NotNull(done.Stored);
                    mine++;
                }
            }
        }
        var a = Task.Run(() => WorkAsync("node-a"));
        var b = Task.Run(() => WorkAsync("node-b"));
        go.SetResult();
        var counts = await Task.WhenAll(a, b);

        output.WriteLine($"node-a claimed {counts[0]}, node-b claimed {counts[1]}");
        Assert.Equal(jobs.Count, claims.Count);
        Assert.All(claims, c => Assert.Single(c.Value));
        Assert.Equal(jobs.Count, counts.Sum());
    }

    [Fact]
    public async Task Lanes_take_turns_and_a_lane_holds_at_most_its_depth()
    {
        var store = _db.JobStore();
        var ann = await _db.AddUserWithChannelsAsync("ann", RecordingEngine.EngineName, "flood");
        var bob = await _db.AddUserWithChannelsAsync("bob", RecordingEngine.EngineName, "quiet");
        var flood = await TestJobs.InsertAsync(store, ann, "flood", 5, _t0);
        var quiet = await TestJobs.InsertAsync(store, bob, "quiet", 2, _t0.AddSeconds(1));

        var first = await store.ClaimAsync("n", _t0, _t0 + Lease, laneDepth: 2, max: 3, CancellationToken.None);
        // Every lane's first job before any lane's second: the quiet lane is not behind the flood's backlog.
        Assert.Equal(new[] { flood[0].Id, flood[1].Id, quiet[0].Id }.Order(), first.Select(c => c.Job.Id).Order());

        var second = await store.ClaimAsync("n", _t0, _t0 + Lease, laneDepth: 2, max: 10, CancellationToken.None);
        Assert.Equal([quiet[1].Id], second.Select(c => c.Job.Id));

        // A lane's next job becomes claimable when one of its first ones ends, in order.
        await store.UpdateLeasedAsync(flood[0].Id, "n", j => j with { Status = JobStatus.Completed }, CancellationToken.None);
        var third = await store.ClaimAsync("n", _t0, _t0 + Lease, laneDepth: 2, max: 10, CancellationToken.None);
        Assert.Equal([flood[2].Id], third.Select(c => c.Job.Id));
    }

    [Fact]
    public async Task A_job_that_commits_late_does_not_jump_ahead_of_its_lanes_running_jobs()
    {
        var store = _db.JobStore();
        var user = await _db.AddUserWithChannelsAsync("ann", RecordingEngine.EngineName, "c");
        // Two requests raced: the one created first committed second.
        var committedFirst = TestJobs.New(user, "c", _t0.AddMilliseconds(5));
        var committedSecond = TestJobs.New(user, "c", _t0);
        await store.InsertAsync(committedFirst, false, CancellationToken.None);
        Assert.Equal([committedFirst.Id], (await store.ClaimAsync("n", _t0, _t0 + Lease, laneDepth: 1, max: 10, CancellationToken.None)).Select(c => c.Job.Id));
        await store.InsertAsync(committedSecond, false, CancellationToken.None);

        // The lane's one place is taken: the late one waits for it rather than running beside it.
        Assert.Empty(await store.ClaimAsync("n", _t0, _t0 + Lease, laneDepth: 1, max: 10, CancellationToken.None));
        await store.UpdateLeasedAsync(committedFirst.Id, "n", j => j with { Status = JobStatus.Completed }, CancellationToken.None);
        Assert.Equal([committedSecond.Id], (await store.ClaimAsync("n", _t0, _t0 + Lease, laneDepth: 1, max: 10, CancellationToken.None)).Select(c => c.Job.Id));
    }

    [Fact]
    public async Task A_held_lease_is_not_claimed_again_until_it_runs_out()
    {
        var store = _db.JobStore();
        var user = await _db.AddUserWithChannelsAsync("ann", RecordingEngine.EngineName, "c");
        var job = (await TestJobs.InsertAsync(store, user, "c", 1, _t0))[0];

        Assert.Single(await store.ClaimAsync("a", _t0, _t0 + Lease, 8, 10, CancellationToken.None));
        Assert.Empty(await store.ClaimAsync("b", _t0 + Lease - TimeSpan.FromMilliseconds(1), _t0 + 2 * Lease, 8, 10, CancellationToken.None));

        // A heartbeat moves the end of the lease; the rival still finds nothing to take.
        Assert.Equal([job.Id], await store.HeartbeatAsync([job.Id], "a", _t0 + 2 * Lease, CancellationToken.None));
        Assert.Empty(await store.ClaimAsync("b", _t0 + Lease + TimeSpan.FromSeconds(1), _t0 + 3 * Lease, 8, 10, CancellationToken.None));

        var taken = Assert.Single(await store.ClaimAsync("b", _t0 + 2 * Lease + TimeSpan.FromSeconds(1), _t0 + 3 * Lease, 8, 10, CancellationToken.None));
        Assert.Equal(2, taken.Attempt);
        // The old owner's heartbeat no longer holds it.
        Assert.Empty(await store.HeartbeatAsync([job.Id], "a", _t0 + 4 * Lease, CancellationToken.None));
    }

    [Fact]
    public async Task A_stale_owner_cannot_write()
    {
        var store = _db.JobStore();
        var user = await _db.AddUserWithChannelsAsync("ann", RecordingEngine.EngineName, "c");
        var job = (await TestJobs.InsertAsync(store, user, "c", 1, _t0))[0];
        await store.ClaimAsync("old", _t0, _t0 + Lease, 8, 10, CancellationToken.None);
        await store.ClaimAsync("new", _t0 + Lease + TimeSpan.FromSeconds(1), _t0 + 2 * Lease, 8, 10, CancellationToken.None);

        var stale = await store.UpdateLeasedAsync(job.Id, "old", j => j with { Status = JobStatus.Completed }, CancellationToken.None);
        Assert.True(stale.LeaseLost);
        Assert.Null(stale.Stored);
        Assert.Equal(JobStatus.Created, (await store.FindAsync(job.Id, CancellationToken.None)).Job!.Status);

        var owned = await store.UpdateLeasedAsync(job.Id, "new", j => j with { Status = JobStatus.Started }, CancellationToken.None);
        Assert.Equal(JobStatus.Started, owned.Stored?.Status);
        Assert.Equal("started", (await _db.LeaseOfAsync(job.Id)).Status);
    }

    [Fact]
    public async Task A_clean_release_hands_the_job_back_without_spending_an_attempt()
    {
        var store = _db.JobStore();
        var user = await _db.AddUserWithChannelsAsync("ann", RecordingEngine.EngineName, "c");
        var job = (await TestJobs.InsertAsync(store, user, "c", 1, _t0))[0];
        await store.ClaimAsync("a", _t0, _t0 + Lease, 8, 10, CancellationToken.None);

        await store.ReleaseAsync([job.Id], "a", CancellationToken.None);

        Assert.Equal(new LeaseRow("created", null, null, 0, 3), await _db.LeaseOfAsync(job.Id));
        var again = Assert.Single(await store.ClaimAsync("b", _t0, _t0 + Lease, 8, 10, CancellationToken.None));
        Assert.Equal(1, again.Attempt);
    }

    [Fact]
    public async Task A_terminal_write_ends_the_lease_and_the_job_is_never_claimed_again()
    {
        var store = _db.JobStore();
        var user = await _db.AddUserWithChannelsAsync("ann", RecordingEngine.EngineName, "c");
        var job = (await TestJobs.InsertAsync(store, user, "c", 1, _t0))[0];
        await store.ClaimAsync("a", _t0, _t0 + Lease, 8, 10, CancellationToken.None);
        await store.UpdateLeasedAsync(job.Id, "a", j => j with { Status = JobStatus.Failed, Error = "x" }, CancellationToken.None);

        Assert.Equal(new LeaseRow("failed", null, null, 1, 3), await _db.LeaseOfAsync(job.Id));
        Assert.Empty(await store.ClaimAsync("b", _t0 + 10 * Lease, _t0 + 11 * Lease, 8, 10, CancellationToken.None));
    }

    private static async Task<bool> AnyExecutingAsync(IJobStore store, IEnumerable<Job> jobs)
    {
        foreach (var job in jobs)
        {
            if ((await store.FindAsync(job.Id, CancellationToken.None)).Job?.Status.IsTerminal() == false) return true;
        }
        return false;
    }
}
