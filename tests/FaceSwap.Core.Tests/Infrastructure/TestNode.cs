using FaceSwap.Core.Dispatch;
using FaceSwap.Core.Engines;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Tests.Stores;
using Microsoft.Extensions.Logging.Abstractions;

namespace FaceSwap.Core.Tests.Infrastructure;

/// <summary>One server node: its own handle on the shared database, its own dispatcher and notifier.</summary>
public sealed class TestNode : IAsyncDisposable
{
    public TestNode(JobsDatabase database, TimeProvider clock, IEngine engine, JobsOptions options)
    {
        var stores = database.OpenNode(options);
        Jobs = stores.Jobs;
        Notifier = new JobNotifier();
        Dispatcher = new JobDispatcher(Jobs, stores.Accounts, stores.Blobs, new EngineRegistry([engine]), Notifier,
            new JobWaiters(Jobs, Notifier, clock), TestDatabase.Options(options), clock, NullLogger<JobDispatcher>.Instance);
    }

    public IJobStore Jobs { get; }
    public JobNotifier Notifier { get; }
    public JobDispatcher Dispatcher { get; }
    public string Id => Dispatcher.NodeId;

    public Task StartAsync() => Dispatcher.StartAsync(CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await Dispatcher.StopAsync(CancellationToken.None);
        Dispatcher.Dispose();
    }
}

public static class Eventually
{
    /// <summary>Waits for a condition that an event will make true (a write by another thread), with a generous limit.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Still waiting for {what}");
            await Task.Delay(10);
        }
    }

    public static Task JobEndsAsync(IJobStore jobs, string jobId) =>
        TrueAsync(async () => (await jobs.FindAsync(jobId, CancellationToken.None)).Job?.Status.IsTerminal() == true, $"job {jobId} to end");
}
