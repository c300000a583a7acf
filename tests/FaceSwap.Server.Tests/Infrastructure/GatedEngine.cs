using System.Collections.Concurrent;
using FaceSwap.Core.Engines;
using FaceSwap.Core.Jobs;

namespace FaceSwap.Server.Tests.Infrastructure;

/// <summary>
/// An engine whose jobs finish when the test says so: it lets the API's own rules (busy channels,
/// blocking bounds, cancel, restarts) be tested independently of any real engine's timing.
/// </summary>
public sealed class GatedEngine(string name = GatedEngine.DefaultName) : IEngine
{
    public const string DefaultName = "gated";

    private readonly ConcurrentDictionary<string, TaskCompletionSource<bool>> _gates = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _ended = new();
    public ConcurrentBag<string> Runs { get; } = [];
    public ConcurrentDictionary<string, bool> ClientWaitingSeen { get; } = new();

    public string Name => name;

    public async Task RunAsync(IJobExecution execution, CancellationToken cancellationToken)
    {
        var job = execution.Job;
        Runs.Add(job.Id);
        ClientWaitingSeen[job.Id] = execution.ClientWaiting;
        try
        {
            await execution.ReportAsync(JobStatus.Started, new UpstreamMessage(Content: $"started {job.Verb.ToWire()}"), cancellationToken);
            var succeed = await Gate(job.Id).Task.WaitAsync(cancellationToken);
            if (succeed)
            {
                var png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");
                await execution.CompleteAsync(new UpstreamMessage("1234567890123456789", $"done [SaveID: '{job.Field("idname")}']", "2023-09-09T02:05:24.991000+00:00"),
                    [new ResultFile("result.png", "image/png", png, 1, 1)], cancellationToken);
            }
            else
            {
                await execution.FailAsync("Gate failed", "The test failed this job", null, moderated: false, cancellationToken);
            }
        }
        finally
        {
            EndedSource(job.Id).TrySetResult();
        }
    }

    /// <summary>Completes when the job's first run has ended, whichever way: what it wrote (or tried to) is behind it.</summary>
    public Task Ended(string jobId) => EndedSource(jobId).Task;

    private TaskCompletionSource EndedSource(string jobId) =>
        _ended.GetOrAdd(jobId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>When set, every job completes as soon as it starts.</summary>
    public bool AutoComplete { get; set; }

    public TaskCompletionSource<bool> Gate(string jobId)
    {
        var gate = _gates.GetOrAdd(jobId, _ => new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (AutoComplete) gate.TrySetResult(true);
        return gate;
    }

    public void Open(string jobId, bool succeed = true) => Gate(jobId).TrySetResult(succeed);
}
