using System.Collections.Concurrent;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FaceSwap.Core.Tests.Stores;

/// <summary>
/// The job store on a real database of each provider: the claim statement (the one way a job enters execution),
/// leases, owner-checked writes, and lanes that run on one node at a time. Each test has a fresh database; a
/// "node" is a store on a handle of its own (its own connections).
/// </summary>
public abstract class JobStoreContract(ITestOutputHelper output)
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private readonly DateTimeOffset _t0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    protected abstract Task<JobsDatabase> CreateAsync();

    [SkippableFact]
    public async Task A_new_job_is_stored_unclaimed()
    {
        await using var database = await CreateAsync();
        var store = database.JobStore(new JobsOptions { MaxAttempts = 5 });
        var user = await database.AddUserAsync("ann");
        var job = (await TestJobs.InsertAsync(store, user, "c1", 1, _t0))[0];

        Assert.Equal(new LeaseRow("created", null, null, 0, 5), await database.LeaseOfAsync(job.Id));
    }

    [SkippableFact]
    public async Task Two_owners_racing_on_separate_connections_claim_each_job_once()
    {
        await using var database = await CreateAsync();
        var setup = database.JobStore();
        var jobs = new List<Job>();
        for (var lane = 0; lane < 10; lane++)
        {
            var user = await database.AddUserAsync($"user{lane}");
            jobs.AddRange(await TestJobs.InsertAsync(setup, user, "c", 30, _t0.AddSeconds(lane)));
        }

        // Two owners, each with its own database handle, claim and finish jobs as fast as they can.
        var claims = new ConcurrentDictionary<string, ConcurrentBag<string>>();
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<int> WorkAsync(string owner)
        {
            var store = database.NodeJobStore();
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

    [SkippableFact]
    public async Task Lanes_take_turns_and_a_lane_holds_at_most_its_depth()
    {
        await using var database = await CreateAsync();
        var store = database.JobStore();
        var ann = await database.AddUserAsync("ann");
        var bob = await database.AddUserAsync("bob");
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

    [SkippableFact]
    public async Task A_claim_reaches_the_first_jobs_of_every_lane_whatever_its_users_channels_and_backlogs()
    {
        await using var database = await CreateAsync();
        var store = database.JobStore();
        var ann = await database.AddUserAsync("ann");
        var bob = await database.AddUserAsync("bob");
        var cid = await database.AddUserAsync("cid");
        // Several channels per user, named out of order, with backlogs from one job to far more than a lane's depth,
        // stored interleaved (one job per lane per round), so no lane's jobs sit together.
        var sizes = new Dictionary<(long User, string Channel), int>
        {
            [(ann, "b")] = 40, [(ann, "a")] = 1, [(ann, "c")] = 3, [(bob, "z")] = 25, [(bob, "a")] = 2, [(cid, "m")] = 1,
        };
        var lanes = sizes.Keys.ToDictionary(lane => lane, _ => new List<Job>());
        for (var round = 0; round < sizes.Values.Max(); round++)
        {
            foreach (var (lane, size) in sizes.Where(l => l.Value > round))
                lanes[lane].AddRange(await TestJobs.InsertAsync(store, lane.User, lane.Channel, 1, _t0.AddSeconds(round)));
        }

        // Room for as many jobs as there are lanes: each lane's first job, none's second.
        var first = await store.ClaimAsync("n", _t0, _t0 + Lease, laneDepth: 2, max: lanes.Count, CancellationToken.None);
        Assert.Equal(lanes.Values.Select(jobs => jobs[0].Id).Order(), first.Select(c => c.Job.Id).Order());
        // Then each lane's second, and nothing past a lane's depth however long its backlog.
        var second = await store.ClaimAsync("n", _t0, _t0 + Lease, laneDepth: 2, max: 100, CancellationToken.None);
        Assert.Equal(lanes.Values.Where(jobs => jobs.Count > 1).Select(jobs => jobs[1].Id).Order(), second.Select(c => c.Job.Id).Order());
        // Every lane is held, the one-job lanes too: another node gets none of them.
        Assert.Empty(await store.ClaimAsync("other", _t0, _t0 + Lease, laneDepth: 8, max: 100, CancellationToken.None));

        // A job that ends makes room for its lane's next one only.
        await store.UpdateLeasedAsync(lanes[(ann, "b")][0].Id, "n", j => j with { Status = JobStatus.Completed }, CancellationToken.None);
        Assert.Equal([lanes[(ann, "b")][2].Id],
            (await store.ClaimAsync("n", _t0, _t0 + Lease, laneDepth: 2, max: 100, CancellationToken.None)).Select(c => c.Job.Id));
    }

    [SkippableFact]
    public async Task A_long_backlog_gives_its_lane_its_depth_and_the_other_lanes_their_turns()
    {
        await using var database = await CreateAsync();
        var store = database.JobStore();
        var ann = await database.AddUserAsync("ann");
        var bob = await database.AddUserAsync("bob");
        // The flood is stored first, so its jobs come first in insertion order among jobs of the same place.
        var flood = await TestJobs.InsertAsync(store, ann, "flood", 300, _t0);
        var quiet = new[] { (bob, "q1"), (bob, "q2"), (ann, "q3") };
        var lanes = new List<List<Job>>();
        foreach (var (user, channel) in quiet) lanes.Add(await TestJobs.InsertAsync(store, user, channel, 2, _t0.AddSeconds(1)));

        // Places first (every lane's first job, then every lane's second), insertion order within a place.
        var first = await store.ClaimAsync("n", _t0, _t0 + Lease, laneDepth: 4, max: 6, CancellationToken.None);
        Assert.Equal(new[] { flood[0], lanes[0][0], lanes[1][0], lanes[2][0], flood[1], lanes[0][1] }.Select(j => j.Id).Order(),
            first.Select(c => c.Job.Id).Order());
        var second = await store.ClaimAsync("n", _t0, _t0 + Lease, laneDepth: 4, max: 100, CancellationToken.None);
        Assert.Equal(new[] { lanes[1][1], lanes[2][1], flood[2], flood[3] }.Select(j => j.Id).Order(), second.Select(c => c.Job.Id).Order());
        Assert.Empty(await store.ClaimAsync("n", _t0, _t0 + Lease, laneDepth: 4, max: 100, CancellationToken.None));
        Assert.Equal(4, await database.ScalarAsync<long>(
            "SELECT count(*) FROM jobs WHERE channel = 'flood' AND lease_owner IS NOT NULL"));

        // A job that ends inside the lane's head, not at its front, makes room for exactly the next one.
        await store.UpdateLeasedAsync(flood[2].Id, "n", j => j with { Status = JobStatus.Completed }, CancellationToken.None);
        Assert.Equal([flood[4].Id], (await store.ClaimAsync("n", _t0, _t0 + Lease, laneDepth: 4, max: 100, CancellationToken.None)).Select(c => c.Job.Id));
    }

    [SkippableFact]
    public async Task A_live_lease_of_another_node_past_the_claimers_depth_keeps_the_lane_closed_to_it()
    {
        await using var database = await CreateAsync();
        var a = database.NodeJobStore();
        var b = database.NodeJobStore();
        var ann = await database.AddUserAsync("ann");
        var bob = await database.AddUserAsync("bob");
        var lane = await TestJobs.InsertAsync(a, ann, "c", 200, _t0);
        Assert.Equal(lane.Take(3).Select(j => j.Id),
            (await a.ClaimAsync("a", _t0, _t0 + Lease, laneDepth: 3, max: 10, CancellationToken.None)).Select(c => c.Job.Id));
        var other = await TestJobs.InsertAsync(a, bob, "c", 1, _t0.AddSeconds(1));
        // Only the lane's third job stays leased; its first two lapse.
        Assert.Equal([lane[2].Id], await a.HeartbeatAsync([lane[2].Id], "a", _t0 + 2 * Lease, CancellationToken.None));

        // b's depth covers only the lapsed head, but a still holds the lane: b gets the other lane only.
        var later = _t0 + Lease + TimeSpan.FromSeconds(1);
        Assert.Equal([other[0].Id], (await b.ClaimAsync("b", later, later + Lease, laneDepth: 2, max: 10, CancellationToken.None)).Select(c => c.Job.Id));
        await b.UpdateLeasedAsync(other[0].Id, "b", j => j with { Status = JobStatus.Completed }, CancellationToken.None);
        // a takes its own lapsed jobs back, and nothing past its depth.
        var retaken = await a.ClaimAsync("a", later, later + Lease, laneDepth: 3, max: 10, CancellationToken.None);
        Assert.Equal(lane.Take(2).Select(j => j.Id), retaken.Select(c => c.Job.Id));
        Assert.Equal([2, 2], retaken.Select(c => c.Attempt));

        // Once every lease of a's there has run out, the lane moves to b: its depth from the front, no more.
        var afterA = later + Lease + TimeSpan.FromSeconds(1);
        var moved = await b.ClaimAsync("b", afterA, afterA + Lease, laneDepth: 2, max: 10, CancellationToken.None);
        Assert.Equal(lane.Take(2).Select(j => j.Id), moved.Select(c => c.Job.Id));
        Assert.Equal([3, 3], moved.Select(c => c.Attempt));
    }

    [SkippableFact]
    public async Task A_job_that_commits_late_does_not_jump_ahead_of_its_lanes_running_jobs()
    {
        await using var database = await CreateAsync();
        var store = database.JobStore();
        var user = await database.AddUserAsync("ann");
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

    [SkippableFact]
    public async Task A_held_lease_is_not_claimed_again_until_it_runs_out()
    {
        await using var database = await CreateAsync();
        var store = database.JobStore();
        var user = await database.AddUserAsync("ann");
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

    [SkippableFact]
    public async Task A_stale_owner_cannot_write()
    {
        await using var database = await CreateAsync();
        var store = database.JobStore();
        var user = await database.AddUserAsync("ann");
        var job = (await TestJobs.InsertAsync(store, user, "c", 1, _t0))[0];
        await store.ClaimAsync("old", _t0, _t0 + Lease, 8, 10, CancellationToken.None);
        await store.ClaimAsync("new", _t0 + Lease + TimeSpan.FromSeconds(1), _t0 + 2 * Lease, 8, 10, CancellationToken.None);

        var stale = await store.UpdateLeasedAsync(job.Id, "old", j => j with { Status = JobStatus.Completed }, CancellationToken.None);
        Assert.True(stale.LeaseLost);
        Assert.Null(stale.Stored);
        Assert.Equal(JobStatus.Created, (await store.FindAsync(job.Id, CancellationToken.None)).Job!.Status);

        var owned = await store.UpdateLeasedAsync(job.Id, "new", j => j with { Status = JobStatus.Started }, CancellationToken.None);
        Assert.Equal(JobStatus.Started, owned.Stored?.Status);
        Assert.Equal("started", (await database.LeaseOfAsync(job.Id)).Status);
    }

    [SkippableFact]
    public async Task A_clean_release_hands_the_job_back_without_spending_an_attempt()
    {
        await using var database = await CreateAsync();
        var store = database.JobStore();
        var user = await database.AddUserAsync("ann");
        var job = (await TestJobs.InsertAsync(store, user, "c", 1, _t0))[0];
        await store.ClaimAsync("a", _t0, _t0 + Lease, 8, 10, CancellationToken.None);

        await store.ReleaseAsync([job.Id], "a", CancellationToken.None);

        Assert.Equal(new LeaseRow("created", null, null, 0, 3), await database.LeaseOfAsync(job.Id));
        var again = Assert.Single(await store.ClaimAsync("b", _t0, _t0 + Lease, 8, 10, CancellationToken.None));
        Assert.Equal(1, again.Attempt);
    }

    [SkippableFact]
    public async Task A_terminal_write_ends_the_lease_and_the_job_is_never_claimed_again()
    {
        await using var database = await CreateAsync();
        var store = database.JobStore();
        var user = await database.AddUserAsync("ann");
        var job = (await TestJobs.InsertAsync(store, user, "c", 1, _t0))[0];
        await store.ClaimAsync("a", _t0, _t0 + Lease, 8, 10, CancellationToken.None);
        await store.UpdateLeasedAsync(job.Id, "a", j => j with { Status = JobStatus.Failed, Error = "x" }, CancellationToken.None);

        Assert.Equal(new LeaseRow("failed", null, null, 1, 3), await database.LeaseOfAsync(job.Id));
        Assert.Empty(await store.ClaimAsync("b", _t0 + 10 * Lease, _t0 + 11 * Lease, 8, 10, CancellationToken.None));
    }

    [SkippableFact]
    public async Task A_lane_leased_by_one_node_is_not_given_to_another_until_those_leases_end()
    {
        await using var database = await CreateAsync();
        var a = database.NodeJobStore();
        var b = database.NodeJobStore();
        var ann = await database.AddUserAsync("ann");
        var bob = await database.AddUserAsync("bob");
        var lane = await TestJobs.InsertAsync(a, ann, "c", 3, _t0);
        var other = await TestJobs.InsertAsync(a, bob, "c", 1, _t0.AddSeconds(1));

        // Node a takes the lane's first job only (its per-lane depth is 1); node b, with room for more, still gets
        // nothing of that lane while a's lease lives: only the other lane.
        Assert.Equal([lane[0].Id], (await a.ClaimAsync("a", _t0, _t0 + Lease, laneDepth: 1, max: 1, CancellationToken.None)).Select(c => c.Job.Id));
        Assert.Equal([other[0].Id], (await b.ClaimAsync("b", _t0, _t0 + Lease, laneDepth: 8, max: 10, CancellationToken.None)).Select(c => c.Job.Id));
        await b.UpdateLeasedAsync(other[0].Id, "b", j => j with { Status = JobStatus.Completed }, CancellationToken.None);
        Assert.Equal([lane[0].Id], await a.HeartbeatAsync([lane[0].Id], "a", _t0 + 2 * Lease, CancellationToken.None));
        Assert.Empty(await b.ClaimAsync("b", _t0 + Lease + TimeSpan.FromSeconds(1), _t0 + 3 * Lease, 8, 10, CancellationToken.None));

        // Its owner may take more of its own lane meanwhile.
        Assert.Equal([lane[1].Id], (await a.ClaimAsync("a", _t0 + Lease, _t0 + 2 * Lease, laneDepth: 2, max: 10, CancellationToken.None)).Select(c => c.Job.Id));

        // Node a dies: once every lease it held there ran out, the whole lane moves to b, in order.
        var afterA = _t0 + 2 * Lease + TimeSpan.FromSeconds(1);
        var moved = await b.ClaimAsync("b", afterA, afterA + Lease, laneDepth: 8, max: 10, CancellationToken.None);
        Assert.Equal(lane.Select(j => j.Id), moved.Select(c => c.Job.Id));
        Assert.Equal([2, 2, 1], moved.Select(c => c.Attempt));
        Assert.Empty(await a.HeartbeatAsync([lane[0].Id, lane[1].Id], "a", afterA + Lease, CancellationToken.None));
    }

    [SkippableFact]
    public async Task A_lane_moves_when_its_node_ends_its_jobs()
    {
        await using var database = await CreateAsync();
        var a = database.NodeJobStore();
        var b = database.NodeJobStore();
        var ann = await database.AddUserAsync("ann");
        var lane = await TestJobs.InsertAsync(a, ann, "c", 2, _t0);
        await a.ClaimAsync("a", _t0, _t0 + Lease, laneDepth: 1, max: 10, CancellationToken.None);
        Assert.Empty(await b.ClaimAsync("b", _t0, _t0 + Lease, laneDepth: 8, max: 10, CancellationToken.None));

        await a.UpdateLeasedAsync(lane[0].Id, "a", j => j with { Status = JobStatus.Completed }, CancellationToken.None);

        // No lease of a's is left in the lane: it is anyone's, and b's claim comes first.
        Assert.Equal([lane[1].Id], (await b.ClaimAsync("b", _t0, _t0 + Lease, laneDepth: 8, max: 10, CancellationToken.None)).Select(c => c.Job.Id));
        Assert.Empty(await a.ClaimAsync("a", _t0, _t0 + Lease, laneDepth: 8, max: 10, CancellationToken.None));
    }

    [SkippableFact]
    public async Task A_lapsed_lease_is_not_renewed_once_another_node_holds_its_lane()
    {
        await using var database = await CreateAsync();
        var a = database.NodeJobStore();
        var b = database.NodeJobStore();
        var ann = await database.AddUserAsync("ann");
        var lane = await TestJobs.InsertAsync(a, ann, "c", 2, _t0);
        Assert.Equal(2, (await a.ClaimAsync("a", _t0, _t0 + Lease, laneDepth: 2, max: 10, CancellationToken.None)).Count);

        // Both of a's leases lapsed (a stalled); b takes the lane, but its claim has room for one job only.
        var later = _t0 + Lease + TimeSpan.FromSeconds(1);
        Assert.Equal([lane[0].Id], (await b.ClaimAsync("b", later, later + Lease, laneDepth: 2, max: 1, CancellationToken.None)).Select(c => c.Job.Id));

        // a wakes up and renews: the lane has moved on, so neither lease comes back to it, and b takes the rest.
        Assert.Empty(await a.HeartbeatAsync([lane[0].Id, lane[1].Id], "a", later + Lease, CancellationToken.None));
        Assert.Equal([lane[1].Id], (await b.ClaimAsync("b", later, later + Lease, laneDepth: 2, max: 10, CancellationToken.None)).Select(c => c.Job.Id));
        // A lapsed lease that nobody took is renewed as before.
        var bob = await database.AddUserAsync("bob");
        var lone = (await TestJobs.InsertAsync(a, bob, "c", 1, later))[0];
        await a.ClaimAsync("a", later, later + Lease, 8, 10, CancellationToken.None);
        Assert.Equal([lone.Id], await a.HeartbeatAsync([lone.Id], "a", later + 3 * Lease, CancellationToken.None));
    }

    [SkippableFact]
    public async Task A_heartbeat_renews_every_lease_its_owner_holds_however_many_lanes_they_are_in()
    {
        await using var database = await CreateAsync();
        var store = database.JobStore();
        var jobs = new List<Job>();
        for (var i = 0; i < 130; i++) jobs.AddRange(await TestJobs.InsertAsync(store, await database.AddUserAsync($"user{i}"), "c", 1, _t0));
        Assert.Equal(130, (await store.ClaimAsync("a", _t0, _t0 + Lease, 8, 200, CancellationToken.None)).Count);

        var renewed = await store.HeartbeatAsync(jobs.Select(j => j.Id).Append("not-a-job").ToList(), "a", _t0 + 2 * Lease, CancellationToken.None);

        Assert.Equal(jobs.Select(j => j.Id).Order(), renewed.Order());
        Assert.Empty(await store.ClaimAsync("b", _t0 + Lease + TimeSpan.FromSeconds(1), _t0 + 3 * Lease, 8, 200, CancellationToken.None));
    }

    [SkippableFact]
    public async Task Two_nodes_claiming_at_once_never_split_a_lane()
    {
        await using var database = await CreateAsync();
        var setup = database.JobStore();
        var lanes = new Dictionary<string, long>();
        for (var i = 0; i < 150; i++)
        {
            var user = await database.AddUserAsync($"user{i}");
            foreach (var job in await TestJobs.InsertAsync(setup, user, "c", 4, _t0.AddSeconds(i))) lanes[job.Id] = user;
        }

        // Rounds of simultaneous claims, each node with room for every job; between rounds every lease runs out,
        // so the lanes are up for grabs again. Each lane's first claimer takes all of it; the others skip it.
        var shared = 0;
        for (var round = 0; round < 8; round++)
        {
            var now = _t0 + round * 2 * Lease;
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var nodes = new[] { "a", "b", "c", "d" }.Select(owner => (owner, store: database.NodeJobStore())).ToList();
            var claims = nodes.Select(n => Task.Run(async () =>
            {
                await go.Task;
                var claimed = await n.store.ClaimAsync(n.owner, now, now + Lease, laneDepth: 4, max: 1000, CancellationToken.None);
                return claimed.Select(c => (n.owner, lane: lanes[c.Job.Id], id: c.Job.Id));
            })).ToList();
            go.SetResult();
            var taken = (await Task.WhenAll(claims)).SelectMany(t => t).ToList();

            Assert.Equal(lanes.Keys.Order(), taken.Select(t => t.id).Order());
            Assert.All(taken.GroupBy(t => t.lane), lane => Assert.Single(lane.Select(t => t.owner).Distinct()));
            if (taken.Select(t => t.owner).Distinct().Count() > 1) shared++;
        }
        output.WriteLine($"rounds whose lanes went to more than one node: {shared} of 8");
    }

    [SkippableFact]
    public async Task Blocking_jobs_racing_in_from_several_nodes_get_in_one_at_a_time()
    {
        await using var database = await CreateAsync();
        var nodes = Enumerable.Range(0, 3).Select(_ => database.NodeJobStore()).ToList();
        var user = await database.AddUserAsync("ann");
        for (var round = 0; round < 10; round++)
        {
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var inserts = nodes.Select(node => Task.Run(async () =>
            {
                await go.Task;
                return await node.InsertAsync(TestJobs.New(user, "c", _t0.AddSeconds(round)) with { Blocking = true }, exclusiveOnChannel: true, CancellationToken.None);
            })).ToList();
            go.SetResult();
            var results = await Task.WhenAll(inserts);

            var winner = Assert.Single(results, r => r.Inserted);
            var executing = await nodes[0].ListExecutingAsync(user, CancellationToken.None);
            Assert.Single(executing);
            Assert.All(results.Where(r => !r.Inserted), r => Assert.Equal(executing, r.ExecutingJobs));
            // The blocking job ends; the channel is free for the next round.
            await nodes[0].UpdateAsync(executing[0], j => j with { Status = JobStatus.Cancelled }, CancellationToken.None);
        }
    }

    [SkippableFact]
    public async Task A_job_is_found_by_its_upstream_message_and_attachment_until_it_expires()
    {
        await using var database = await CreateAsync();
        var store = database.JobStore();
        var ann = await database.AddUserAsync("ann");
        var bob = await database.AddUserAsync("bob");
        var job = (await TestJobs.InsertAsync(store, ann, "c", 1, _t0))[0];
        await store.ClaimAsync("n", _t0, _t0 + Lease, 8, 10, CancellationToken.None);
        var attachment = new Attachment("att1", "image/png", "result.png", 3, 1, 1, "blob1");
        // A NUL in what a user or the bot sends is kept as it came.
        var content = "done \u0000 [jobid: 42]";
        await store.UpdateLeasedAsync(job.Id, "n", j => j with
        {
            Status = JobStatus.Completed, Upstream = new UpstreamMessage("1234567890", content), Attachments = [attachment],
        }, CancellationToken.None);

        var found = await store.FindByMessageIdAsync(ann, "c", "1234567890", CancellationToken.None);
        Assert.Equal((job.Id, JobStatus.Completed, content), (found?.Id, found?.Status, found?.Upstream.Content));
        Assert.Null(await store.FindByMessageIdAsync(bob, "c", "1234567890", CancellationToken.None));
        Assert.Null(await store.FindByMessageIdAsync(ann, "other", "1234567890", CancellationToken.None));
        Assert.Equal(attachment, await store.FindAttachmentAsync("att1", CancellationToken.None));
        Assert.Equal([job.Id], (await store.ListPastRetentionAsync(_t0.AddDays(1), 10, CancellationToken.None)).Select(j => j.Id));
        Assert.Empty(await store.ListPastRetentionAsync(_t0, 10, CancellationToken.None));

        await store.MarkExpiredAsync(job.Id, CancellationToken.None);

        Assert.Equal(JobLookup.Gone, await store.FindAsync(job.Id, CancellationToken.None));
        Assert.Null(await store.FindByMessageIdAsync(ann, "c", "1234567890", CancellationToken.None));
        Assert.Null(await store.FindAttachmentAsync("att1", CancellationToken.None));
        Assert.Empty(await store.ListPastRetentionAsync(_t0.AddDays(1), 10, CancellationToken.None));
    }

    [SkippableFact]
    public async Task The_newest_recorded_message_of_a_channel_is_the_largest_id_of_any_users_job_there()
    {
        await using var database = await CreateAsync();
        var store = database.JobStore();
        var ann = await database.AddUserAsync("ann");
        var bob = await database.AddUserAsync("bob");
        Assert.Null(await store.NewestMessageIdAsync("c", CancellationToken.None));

        var jobs = new List<Job>();
        jobs.AddRange(await TestJobs.InsertAsync(store, ann, "c", 3, _t0));
        jobs.AddRange(await TestJobs.InsertAsync(store, bob, "c", 1, _t0.AddSeconds(1)));
        jobs.AddRange(await TestJobs.InsertAsync(store, ann, "other", 1, _t0.AddSeconds(2)));
        async Task RecordAsync(Job job, string messageId) => Assert.NotNull(await store.UpdateAsync(job.Id,
            j => j with { Upstream = new UpstreamMessage(messageId, "answer") }, CancellationToken.None));
        // Ids compare as numbers: a shorter id is older, whatever the text order or the jobs' order says.
        await RecordAsync(jobs[0], "1000000000000000000");
        await RecordAsync(jobs[1], "999999999999999999");
        await RecordAsync(jobs[3], "1000000000000000001");
        await RecordAsync(jobs[4], "2000000000000000000");
        // jobs[2] has recorded nothing yet.

        Assert.Equal("1000000000000000001", await store.NewestMessageIdAsync("c", CancellationToken.None));
        Assert.Equal("2000000000000000000", await store.NewestMessageIdAsync("other", CancellationToken.None));
        Assert.Null(await store.NewestMessageIdAsync("none", CancellationToken.None));

        // Another node reads what this one recorded.
        Assert.Equal("1000000000000000001", await database.NodeJobStore().NewestMessageIdAsync("c", CancellationToken.None));

        // A job past retention keeps no message.
        await store.MarkExpiredAsync(jobs[3].Id, CancellationToken.None);
        Assert.Equal("1000000000000000000", await store.NewestMessageIdAsync("c", CancellationToken.None));
    }

    [SkippableFact]
    public async Task Busy_channels_are_the_users_channels_with_a_blocking_job_executing()
    {
        await using var database = await CreateAsync();
        var store = database.JobStore();
        var ann = await database.AddUserAsync("ann");
        var bob = await database.AddUserAsync("bob");
        async Task<Job> Insert(long user, string channel, bool blocking)
        {
            var job = TestJobs.New(user, channel, _t0, Verb.ListId) with { Blocking = blocking };
            Assert.True((await store.InsertAsync(job, exclusiveOnChannel: false, CancellationToken.None)).Inserted);
            return job;
        }
        await Insert(ann, "a", blocking: true);
        await Insert(ann, "a", blocking: true);
        await Insert(ann, "b", blocking: true);
        await Insert(ann, "c", blocking: false);
        var finished = await Insert(ann, "d", blocking: true);
        await store.UpdateAsync(finished.Id, j => j with { Status = JobStatus.Completed }, CancellationToken.None);
        await Insert(bob, "e", blocking: true);

        Assert.Equal(["a", "b"], (await store.ListBusyChannelsAsync(ann, CancellationToken.None)).Order());
        Assert.Equal(["e"], await store.ListBusyChannelsAsync(bob, CancellationToken.None));
    }

    [SkippableFact]
    public async Task An_executing_job_that_expires_is_never_claimed_and_a_user_write_finds_it_gone()
    {
        await using var database = await CreateAsync();
        var store = database.JobStore();
        var user = await database.AddUserAsync("ann");
        var job = (await TestJobs.InsertAsync(store, user, "c", 1, _t0))[0];

        await store.MarkExpiredAsync(job.Id, CancellationToken.None);

        Assert.Empty(await store.ClaimAsync("n", _t0, _t0 + Lease, 8, 10, CancellationToken.None));
        Assert.Empty(await store.ListExecutingAsync(user, CancellationToken.None));
        Assert.Null(await store.UpdateAsync(job.Id, j => j with { Status = JobStatus.Cancelled }, CancellationToken.None));
    }

    [SkippableFact]
    public async Task A_users_recent_jobs_page_newest_first_and_lose_none_created_in_the_same_millisecond()
    {
        await using var database = await CreateAsync();
        var store = database.JobStore();
        var ann = await database.AddUserAsync("ann");
        var bob = await database.AddUserAsync("bob");
        var jobs = new List<Job>();
        // Ids that sort differently under a natural-language collation than byte by byte.
        foreach (var (id, ms) in new[] { ("a-1", 0), ("A-2", 0), ("b1", 0), ("_3", 0), ("B_4", 5), ("a-5", 5), ("c6", 9) })
        {
            var job = TestJobs.New(ann, "c", _t0.AddMilliseconds(ms)) with { Id = id };
            await store.InsertAsync(job, false, CancellationToken.None);
            jobs.Add(job);
        }
        await store.InsertAsync(TestJobs.New(bob, "c", _t0.AddSeconds(1)), false, CancellationToken.None);
        var expired = TestJobs.New(ann, "c", _t0.AddSeconds(2));
        await store.InsertAsync(expired, false, CancellationToken.None);
        await store.MarkExpiredAsync(expired.Id, CancellationToken.None);

        var pages = new List<List<string>>();
        JobCursor? cursor = null;
        while (await store.ListRecentAsync(ann, cursor, 3, CancellationToken.None) is { Count: > 0 } page)
        {
            pages.Add(page.Select(j => j.Id).ToList());
            cursor = JobCursor.After(page[^1]);
        }

        var expected = jobs.OrderByDescending(j => j.Created).ThenByDescending(j => j.Id, StringComparer.Ordinal).Select(j => j.Id).ToList();
        Assert.Equal(expected, pages.SelectMany(p => p));
        Assert.Equal([3, 3, 1], pages.Select(p => p.Count));
        Assert.Empty(await store.ListRecentAsync(ann, null, 0, CancellationToken.None));
        Assert.Empty(await store.ListRecentAsync(ann, new JobCursor(_t0, "\0"), 10, CancellationToken.None));
    }

    [SkippableFact]
    public async Task Keys_no_job_can_have_find_nothing()
    {
        await using var database = await CreateAsync();
        var store = database.JobStore();
        var deliveries = database.DeliveryStore();
        var user = await database.AddUserAsync("ann");
        var job = (await TestJobs.InsertAsync(store, user, "c", 1, _t0))[0];
        // A request may carry any character, NUL included (?jobid=%00), which PostgreSQL text cannot hold.
        var nul = job.Id[..4] + "\0" + job.Id[4..];

        Assert.Equal(JobLookup.Missing, await store.FindAsync(nul, CancellationToken.None));
        Assert.Null(await store.FindLeasedAsync(nul, "n", CancellationToken.None));
        Assert.Null(await store.UpdateAsync(nul, j => j with { Status = JobStatus.Cancelled }, CancellationToken.None));
        Assert.Null(await store.FindByMessageIdAsync(user, "c\0", "\0", CancellationToken.None));
        Assert.Null(await store.FindAttachmentAsync("\0", CancellationToken.None));
        Assert.Empty(await deliveries.ListForJobAsync(nul, CancellationToken.None));
        Assert.Equal(0, await deliveries.StopPendingToAsync(user, "https://receiver.example/\0", CancellationToken.None));
        Assert.Equal(JobStatus.Created, (await store.FindAsync(job.Id, CancellationToken.None)).Job?.Status);
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

public sealed class SqliteJobStoreTests(ITestOutputHelper output) : JobStoreContract(output)
{
    protected override Task<JobsDatabase> CreateAsync() => JobsDatabase.SqliteAsync();
}

public sealed class PostgresJobStoreTests(ITestOutputHelper output) : JobStoreContract(output)
{
    protected override Task<JobsDatabase> CreateAsync() => JobsDatabase.PostgresAsync();
}
