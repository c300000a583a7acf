using FaceSwap.Core.Jobs;
using FaceSwap.Core.Tests.Infrastructure;
using FaceSwap.Core.Webhooks;

namespace FaceSwap.Core.Tests.Stores;

/// <summary>The replyUrl outbox on a real database of each provider: rows written with transitions, claims leased per node.</summary>
public abstract class DeliveryStoreContract
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly DateTimeOffset _t0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    protected abstract Task<JobsDatabase> CreateAsync();

    private Delivery NewDelivery(long userId, string url, DateTimeOffset due, string jobId = "job1") =>
        new(DeliveryPolicy.NewDeliveryId(), jobId, userId, url, "completed",
            TestJobs.New(userId, "c", _t0) with { Id = jobId, Status = JobStatus.Completed, ReplyUrl = url },
            DeliveryState.Pending, 0, due, _t0);

    [SkippableFact]
    public async Task A_transition_worth_a_call_adds_its_delivery_with_the_job_write()
    {
        await using var database = await CreateAsync();
        var jobs = database.JobStore();
        var deliveries = database.DeliveryStore();
        var user = await database.AddUserAsync("ann");
        var job = TestJobs.New(user, "c", _t0) with { ReplyUrl = "https://receiver.example/hook" };
        await jobs.InsertAsync(job, false, None);
        await jobs.ClaimAsync("n", _t0, _t0 + Lease, 8, 10, None);
        // Started is not worth a call by default; the terminal state is, once.
        await jobs.UpdateLeasedAsync(job.Id, "n", j => j with { Status = JobStatus.Started }, None);
        Assert.Empty(await deliveries.ListForJobAsync(job.Id, None));
        var done = _t0.AddSeconds(5);
        await jobs.UpdateLeasedAsync(job.Id, "n", j => j with { Status = JobStatus.Completed, Updated = done, Upstream = new UpstreamMessage("m1", "done") }, None);

        var (delivery, attempts) = Assert.Single(await deliveries.ListForJobAsync(job.Id, None));
        Assert.Equal((job.Id, user, "https://receiver.example/hook", "completed", DeliveryState.Pending, 0, done),
            (delivery.JobId, delivery.UserId, delivery.Url, delivery.Event, delivery.State, delivery.Attempts, delivery.NextAttempt));
        Assert.Equal((JobStatus.Completed, "done"), (delivery.Snapshot.Status, delivery.Snapshot.Upstream.Content));
        Assert.Empty(attempts);
        Assert.Equal(done, await deliveries.NextDueAsync(None));
    }

    /// <summary>
    /// A replyUrl with a control character, stored before they were refused at intake, reaches no receiver and is
    /// text PostgreSQL can not hold: the job still ends (and can be cancelled), with no delivery, on every store.
    /// </summary>
    [SkippableFact]
    public async Task A_job_whose_stored_reply_url_no_receiver_has_still_ends_without_a_delivery()
    {
        await using var database = await CreateAsync();
        var jobs = database.JobStore();
        var deliveries = database.DeliveryStore();
        var user = await database.AddUserAsync("ann");
        var finished = TestJobs.New(user, "c", _t0) with { ReplyUrl = "https://receiver.example/a\u0000b" };
        var cancelled = TestJobs.New(user, "c", _t0.AddSeconds(1)) with { ReplyUrl = "https://receiver.example/\u0007" };
        await jobs.InsertAsync(finished, false, None);
        await jobs.InsertAsync(cancelled, false, None);
        await jobs.ClaimAsync("n", _t0, _t0 + Lease, 8, 10, None);

        var done = _t0.AddSeconds(5);
        Assert.NotNull((await jobs.UpdateLeasedAsync(finished.Id, "n", j => j with { Status = JobStatus.Completed, Updated = done }, None)).Stored);
        Assert.NotNull(await jobs.UpdateAsync(cancelled.Id, j => j with { Status = JobStatus.Cancelled, Updated = done }, None));

        Assert.Equal(JobStatus.Completed, (await jobs.FindAsync(finished.Id, None)).Job!.Status);
        Assert.Equal(JobStatus.Cancelled, (await jobs.FindAsync(cancelled.Id, None)).Job!.Status);
        Assert.Empty(await deliveries.ListForJobAsync(finished.Id, None));
        Assert.Empty(await deliveries.ListForJobAsync(cancelled.Id, None));
    }

    [SkippableFact]
    public async Task Nodes_claiming_at_once_take_each_due_delivery_once_and_hold_it_for_their_lease()
    {
        await using var database = await CreateAsync();
        var setup = database.DeliveryStore();
        var user = await database.AddUserAsync("ann");
        var ids = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            var delivery = NewDelivery(user, "https://receiver.example/hook", _t0.AddMilliseconds(i), $"job{i}");
            await setup.EnqueueAsync(delivery, None);
            ids.Add(delivery.Id);
        }
        var notDue = NewDelivery(user, "https://receiver.example/hook", _t0.AddMinutes(5), "later");
        await setup.EnqueueAsync(notDue, None);

        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var claims = new[] { "a", "b", "c" }.Select(owner => (owner, store: database.NodeDeliveryStore())).Select(n => Task.Run(async () =>
        {
            await go.Task;
            var taken = new List<string>();
            while (await n.store.ClaimDueAsync(n.owner, _t0.AddSeconds(1), _t0.AddSeconds(1) + Lease, max: 7, None) is { Count: > 0 } batch)
                taken.AddRange(batch.Select(d => d.Id));
            return taken;
        })).ToList();
        go.SetResult();
        var claimed = (await Task.WhenAll(claims)).SelectMany(t => t).ToList();

        Assert.Equal(ids.Order(), claimed.Order());
        // Leased: nobody takes them again until the lease runs out, then they are due for anyone.
        Assert.Empty(await setup.ClaimDueAsync("d", _t0.AddSeconds(2), _t0.AddSeconds(2) + Lease, 100, None));
        var afterLease = _t0.AddSeconds(2) + Lease;
        Assert.Equal(ids.Order(), (await setup.ClaimDueAsync("d", afterLease, afterLease + Lease, 100, None)).Select(d => d.Id).Order());
    }

    [SkippableFact]
    public async Task An_attempt_is_logged_and_the_delivery_goes_on_as_its_outcome_says()
    {
        await using var database = await CreateAsync();
        var store = database.DeliveryStore();
        var user = await database.AddUserAsync("ann");
        var delivery = NewDelivery(user, "https://receiver.example/hook", _t0);
        await store.EnqueueAsync(delivery, None);

        Assert.Single(await store.ClaimDueAsync("a", _t0, _t0 + Lease, 10, None));
        var retryAt = _t0.AddMinutes(1);
        await store.RecordAttemptAsync(delivery.Id, new DeliveryAttempt(_t0, 503, "unavailable", TimeSpan.FromMilliseconds(120)), DeliveryOutcome.RetryAt(retryAt), None);

        // Not due before its next attempt, even though the lease ended with the attempt.
        Assert.Empty(await store.ClaimDueAsync("a", _t0.AddSeconds(59), _t0.AddSeconds(59) + Lease, 10, None));
        Assert.Equal(retryAt, await store.NextDueAsync(None));
        Assert.Single(await store.ClaimDueAsync("b", retryAt, retryAt + Lease, 10, None));
        await store.RecordAttemptAsync(delivery.Id, new DeliveryAttempt(retryAt, 200, null, TimeSpan.FromMilliseconds(80)), DeliveryOutcome.Delivered, None);

        var (stored, attempts) = Assert.Single(await store.ListForJobAsync(delivery.JobId, None));
        Assert.Equal((DeliveryState.Delivered, 2), (stored.State, stored.Attempts));
        Assert.Equal([(_t0, (int?)503, "unavailable", 120.0), (retryAt, 200, null, 80.0)],
            attempts.Select(a => (a.At, a.HttpStatus, a.Error, a.Duration.TotalMilliseconds)));
        Assert.Empty(await store.ClaimDueAsync("c", retryAt.AddHours(1), retryAt.AddHours(2), 10, None));
        Assert.Null(await store.NextDueAsync(None));
    }

    [SkippableFact]
    public async Task A_released_delivery_is_due_at_once_and_gone_stops_only_that_receiver()
    {
        await using var database = await CreateAsync();
        var store = database.DeliveryStore();
        var ann = await database.AddUserAsync("ann");
        var bob = await database.AddUserAsync("bob");
        var first = NewDelivery(ann, "https://gone.example/hook", _t0, "j1");
        var second = NewDelivery(ann, "https://gone.example/hook", _t0.AddMinutes(10), "j2");
        var elsewhere = NewDelivery(ann, "https://alive.example/hook", _t0, "j3");
        var bobs = NewDelivery(bob, "https://gone.example/hook", _t0, "j4");
        foreach (var d in new[] { first, second, elsewhere, bobs }) await store.EnqueueAsync(d, None);

        Assert.Equal(3, (await store.ClaimDueAsync("a", _t0, _t0 + Lease, 10, None)).Count);
        await store.ReleaseAsync(first.Id, None);
        Assert.Equal([first.Id], (await store.ClaimDueAsync("b", _t0, _t0 + Lease, 10, None)).Select(d => d.Id));

        Assert.Equal(2, await store.StopPendingToAsync(ann, "https://gone.example/hook", None));

        Assert.Equal(DeliveryState.Stopped, Assert.Single(await store.ListForJobAsync("j2", None)).Delivery.State);
        Assert.Equal(DeliveryState.Pending, Assert.Single(await store.ListForJobAsync("j3", None)).Delivery.State);
        Assert.Equal(DeliveryState.Pending, Assert.Single(await store.ListForJobAsync("j4", None)).Delivery.State);
    }
}

public sealed class SqliteDeliveryStoreTests : DeliveryStoreContract
{
    protected override Task<JobsDatabase> CreateAsync() => JobsDatabase.SqliteAsync();
}

public sealed class PostgresDeliveryStoreTests : DeliveryStoreContract
{
    protected override Task<JobsDatabase> CreateAsync() => JobsDatabase.PostgresAsync();
}
