using FaceSwap.Core.Dispatch;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace FaceSwap.Core.Tests;

/// <summary>Held requests end on the job's own change, or when the clock passes their deadline.</summary>
public sealed class JobWaitersTests : IDisposable
{
    private readonly TestDatabase _db = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _db.Dispose();

    [Fact]
    public async Task A_wait_answers_the_job_as_it_stands_once_the_clock_passes_its_deadline()
    {
        var store = _db.JobStore();
        var user = await _db.AddUserWithChannelsAsync("ann", RecordingEngine.EngineName, "c");
        var job = (await TestJobs.InsertAsync(store, user, "c", 1, _clock.GetUtcNow()))[0];
        var waiters = new JobWaiters(store, new JobNotifier(), _clock);

        var wait = waiters.WaitForTerminalAsync(job.Id, TimeSpan.FromSeconds(30), CancellationToken.None);
        await Eventually.TrueAsync(() => Task.FromResult(waiters.IsWaiting(job.Id)), "the wait to begin");
        _clock.Advance(TimeSpan.FromSeconds(29));
        Assert.False(wait.IsCompleted);
        _clock.Advance(TimeSpan.FromSeconds(1));

        var answered = await wait.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Created, answered.Job!.Status);
        Assert.False(waiters.IsWaiting(job.Id));
    }

    [Fact]
    public async Task A_wait_answers_at_once_when_the_job_ends()
    {
        var store = _db.JobStore();
        var notifier = new JobNotifier();
        var user = await _db.AddUserWithChannelsAsync("ann", RecordingEngine.EngineName, "c");
        var job = (await TestJobs.InsertAsync(store, user, "c", 1, _clock.GetUtcNow()))[0];
        var waiters = new JobWaiters(store, notifier, _clock);

        var wait = waiters.WaitForTerminalAsync(job.Id, TimeSpan.FromSeconds(30), CancellationToken.None);
        await Eventually.TrueAsync(() => Task.FromResult(waiters.IsWaiting(job.Id)), "the wait to begin");
        var cancelled = await store.UpdateAsync(job.Id, j => j with { Status = JobStatus.Cancelled }, CancellationToken.None);
        notifier.Publish(cancelled!);

        Assert.Equal(JobStatus.Cancelled, (await wait.WaitAsync(TimeSpan.FromSeconds(30))).Job!.Status);
    }
}
