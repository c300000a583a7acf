using System.Collections.Concurrent;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;

namespace FaceSwap.Core.Dispatch;

/// <summary>Holds requests until a job is terminal or a deadline passes, without polling the database.</summary>
public sealed class JobWaiters(IJobStore jobs, JobNotifier notifier)
{
    private readonly ConcurrentDictionary<string, int> _waiting = new();

    /// <summary>True while some request holds its connection for this job (engines poll faster then).</summary>
    public bool IsWaiting(string jobId) => _waiting.TryGetValue(jobId, out var count) && count > 0;

    /// <summary>Returns the job once terminal, or as it stands when <paramref name="timeout"/> passes.</summary>
    public async Task<JobLookup> WaitForTerminalAsync(string jobId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        _waiting.AddOrUpdate(jobId, 1, (_, count) => count + 1);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            while (true)
            {
                var change = notifier.NextChange(jobId);
                var lookup = await jobs.FindAsync(jobId, CancellationToken.None);
                if (lookup.Job is not { } job || job.Status.IsTerminal()) return lookup;
                try
                {
                    await change.WaitAsync(deadline.Token);
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested)
                {
                    return await jobs.FindAsync(jobId, CancellationToken.None);
                }
            }
        }
        finally
        {
            _waiting.AddOrUpdate(jobId, 0, (_, count) => count - 1);
            _waiting.TryRemove(new KeyValuePair<string, int>(jobId, 0));
        }
    }
}
