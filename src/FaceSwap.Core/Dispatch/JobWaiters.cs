using System.Collections.Concurrent;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;

namespace FaceSwap.Core.Dispatch;

/// <summary>Holds requests until a job is terminal or a deadline passes, without polling the database.</summary>
public sealed class JobWaiters(IJobStore jobs, JobNotifier notifier, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, int> _waiting = new();

    /// <summary>
    /// True while some request holds its connection for this job, here or on another node sharing the database
    /// (engines poll faster then).
    /// </summary>
    public bool IsWaiting(string jobId) =>
        (_waiting.TryGetValue(jobId, out var count) && count > 0) || notifier.IsWatchedElsewhere(jobId, clock.GetUtcNow());

    /// <summary>
    /// Returns the job once terminal, or as it stands when <paramref name="timeout"/> passes. One database
    /// read to start; after that each change arrives with the notification itself.
    /// </summary>
    public async Task<JobLookup> WaitForTerminalAsync(string jobId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await foreach (var lookup in WatchAsync(jobId, timeout, cancellationToken))
        {
            if (lookup.Job is not { } job || job.Status.IsTerminal()) return lookup;
        }
        return await jobs.FindAsync(jobId, CancellationToken.None);
    }

    /// <summary>
    /// The job now, then each change of it, until it is terminal or <paramref name="timeout"/> passes.
    /// </summary>
    public async IAsyncEnumerable<JobLookup> WatchAsync(string jobId, TimeSpan timeout,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        _waiting.AddOrUpdate(jobId, 1, (_, count) => count + 1);
        try
        {
            using var timer = new CancellationTokenSource(timeout, clock);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
            using var changes = notifier.Subscribe(jobId);
            var lookup = await jobs.FindAsync(jobId, CancellationToken.None);
            while (true)
            {
                yield return lookup;
                if (lookup.Job is not { } job || job.Status.IsTerminal()) yield break;
                Job changed;
                try
                {
                    changed = await changes.NextAsync(deadline.Token);
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested)
                {
                    yield break;
                }
                lookup = new JobLookup(changed, false);
            }
        }
        finally
        {
            _waiting.AddOrUpdate(jobId, 0, (_, count) => count - 1);
            _waiting.TryRemove(new KeyValuePair<string, int>(jobId, 0));
        }
    }
}
