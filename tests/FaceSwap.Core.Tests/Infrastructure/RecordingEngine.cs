using System.Collections.Concurrent;
using FaceSwap.Core.Engines;
using FaceSwap.Core.Jobs;

namespace FaceSwap.Core.Tests.Infrastructure;

/// <summary>
/// An engine that counts how often each job was run (across every node that shares the counter) and, when
/// gated, holds each run until the test opens its gate. A real engine's side effect (a Discord command) is
/// exactly what a second run would repeat, so the count is what exactly-once is about.
/// </summary>
public sealed class RecordingEngine(ConcurrentDictionary<string, int>? runs = null, bool gated = false) : IEngine
{
    public const string EngineName = "recording";

    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _started = new();

    public string Name => EngineName;

    /// <summary>Runs per job id.</summary>
    public ConcurrentDictionary<string, int> Runs { get; } = runs ?? new();

    /// <summary>Runs that ended because a write was refused (their lease was gone) or they were cancelled.</summary>
    public ConcurrentBag<string> Stopped { get; } = [];

    public async Task RunAsync(IJobExecution execution, CancellationToken cancellationToken)
    {
        var job = execution.Job;
        Runs.AddOrUpdate(job.Id, 1, (_, n) => n + 1);
        try
        {
            await execution.ReportAsync(JobStatus.Started, new UpstreamMessage(Content: "started"), cancellationToken);
            Started(job.Id).TrySetResult();
            if (gated) await Gate(job.Id).Task.WaitAsync(cancellationToken);
            await execution.CompleteAsync(new UpstreamMessage(Content: "done"), [], cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Stopped.Add(job.Id);
            throw;
        }
    }

    public TaskCompletionSource Started(string jobId) =>
        _started.GetOrAdd(jobId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public TaskCompletionSource Gate(string jobId) =>
        _gates.GetOrAdd(jobId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public Task WaitStartedAsync(string jobId) => Started(jobId).Task.WaitAsync(TimeSpan.FromSeconds(30));

    public void Open(string jobId) => Gate(jobId).TrySetResult();
}
