using FaceSwap.Core.Tests.Infrastructure;
using FaceSwap.Core.Webhooks;

namespace FaceSwap.Core.Tests.Stores;

/// <summary>Idempotency-Keys on a real database of each provider.</summary>
public abstract class IdempotencyStoreContract
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly DateTimeOffset _t0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    protected abstract Task<JobsDatabase> CreateAsync();

    [SkippableFact]
    public async Task A_key_runs_once_then_replays_its_job_and_tells_another_request_apart()
    {
        await using var database = await CreateAsync();
        var keys = database.IdempotencyStore();
        var ann = await database.AddUserAsync("ann");
        var bob = await database.AddUserAsync("bob");

        Assert.Equal(new IdempotencyClaim(IdempotencyState.Began, null), await keys.BeginAsync(ann, "k", "f1", _t0, None));
        await keys.AttachJobAsync(ann, "k", "job1", None);
        Assert.Equal(new IdempotencyClaim(IdempotencyState.Running, "job1"), await keys.BeginAsync(ann, "k", "f1", _t0, None));
        await keys.CompleteAsync(ann, "k", "job1", None);

        Assert.Equal(new IdempotencyClaim(IdempotencyState.Done, "job1"), await keys.BeginAsync(ann, "k", "f1", _t0, None));
        Assert.Equal(new IdempotencyClaim(IdempotencyState.Mismatch, "job1"), await keys.BeginAsync(ann, "k", "f2", _t0, None));
        // Keys are per user.
        Assert.Equal(new IdempotencyClaim(IdempotencyState.Began, null), await keys.BeginAsync(bob, "k", "f2", _t0, None));
    }

    [SkippableFact]
    public async Task A_refused_request_frees_its_key_and_old_keys_are_purged()
    {
        await using var database = await CreateAsync();
        var keys = database.IdempotencyStore();
        var ann = await database.AddUserAsync("ann");
        await keys.BeginAsync(ann, "refused", "f", _t0, None);
        await keys.AbandonAsync(ann, "refused", None);
        Assert.Equal(IdempotencyState.Began, (await keys.BeginAsync(ann, "refused", "other", _t0, None)).State);

        await keys.BeginAsync(ann, "old", "f", _t0, None);
        await keys.CompleteAsync(ann, "old", "job1", None);
        await keys.BeginAsync(ann, "new", "f", _t0.AddHours(2), None);
        Assert.Equal(2, await keys.PurgeAsync(_t0.AddHours(1), None));
        Assert.Equal(IdempotencyState.Began, (await keys.BeginAsync(ann, "old", "f", _t0.AddHours(3), None)).State);
        Assert.Equal(IdempotencyState.Running, (await keys.BeginAsync(ann, "new", "f", _t0.AddHours(3), None)).State);
    }

    [SkippableFact]
    public async Task Requests_racing_with_one_key_run_once()
    {
        await using var database = await CreateAsync();
        var user = await database.AddUserAsync("ann");
        var nodes = Enumerable.Range(0, 4).Select(_ => database.IdempotencyStore()).ToList();
        for (var round = 0; round < 10; round++)
        {
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var begins = nodes.Select(keys => Task.Run(async () =>
            {
                await go.Task;
                return await keys.BeginAsync(user, $"key{round}", "f", _t0, None);
            })).ToList();
            go.SetResult();
            var claims = await Task.WhenAll(begins);

            Assert.Single(claims, c => c.State == IdempotencyState.Began);
            Assert.Equal(3, claims.Count(c => c.State == IdempotencyState.Running));
        }
    }

    [SkippableFact]
    public async Task After_a_crash_a_key_whose_job_was_stored_is_done_and_one_without_is_free()
    {
        await using var database = await CreateAsync();
        var user = await database.AddUserAsync("ann");
        var job = TestJobs.New(user, "c", _t0);
        await using (var crashed = await database.CrashingNodeAsync())
        {
            await crashed.Keys.BeginAsync(user, "stored", "f", _t0, None);
            await crashed.Keys.AttachJobAsync(user, "stored", job.Id, None);
            await database.JobStore().InsertAsync(job, false, None);
            await crashed.Keys.BeginAsync(user, "lost", "f", _t0, None);
            await crashed.Keys.AttachJobAsync(user, "lost", "never-stored", None);
            await crashed.Keys.BeginAsync(user, "fresh", "f", _t0.AddMinutes(2), None);
        }

        var keys = database.IdempotencyStore();
        Assert.Equal(1, await keys.ReleaseInterruptedAsync(_t0.AddMinutes(1), None));

        Assert.Equal(new IdempotencyClaim(IdempotencyState.Done, job.Id), await keys.BeginAsync(user, "stored", "f", _t0, None));
        Assert.Equal(IdempotencyState.Began, (await keys.BeginAsync(user, "lost", "f", _t0, None)).State);
        // Started after the given time: not taken for cut off.
        Assert.Equal(IdempotencyState.Running, (await keys.BeginAsync(user, "fresh", "f", _t0, None)).State);
    }
}

public sealed class SqliteIdempotencyStoreTests : IdempotencyStoreContract
{
    protected override Task<JobsDatabase> CreateAsync() => JobsDatabase.SqliteAsync();
}

public sealed class PostgresIdempotencyStoreTests : IdempotencyStoreContract
{
    protected override Task<JobsDatabase> CreateAsync() => JobsDatabase.PostgresAsync();
}
