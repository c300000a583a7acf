using System.Collections.Concurrent;
using FaceSwap.Core.Jobs;

namespace FaceSwap.Core.Dispatch;

/// <summary>
/// Wakes whoever waits on a job (blocking requests, long-polls, streams) when it changes. One signal per
/// change, however many waiters: waiting costs no database reads until something happened.
/// </summary>
public sealed class JobNotifier
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<Job>> _signals = new();

    /// <summary>
    /// A task that completes at the job's next change. Take it before reading the job's current state, so
    /// a change between the read and the wait is never missed.
    /// </summary>
    public Task<Job> NextChange(string jobId) =>
        _signals.GetOrAdd(jobId, _ => new TaskCompletionSource<Job>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Publish(Job job)
    {
        if (_signals.TryRemove(job.Id, out var signal)) signal.TrySetResult(job);
        Changed?.Invoke(job);
    }

    /// <summary>Every change of every job (for the outbox and metrics).</summary>
    public event Action<Job>? Changed;
}
