using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using FaceSwap.Core.Jobs;

namespace FaceSwap.Server.Wire;

/// <summary>
/// Rendered bodies of terminal jobs, which never change again: a poller's read of a finished job costs no
/// database read and no rendering. Bounded in two generations: when the young one is full it becomes the
/// old one and the previous old one is dropped; a hit in the old generation moves the entry back to the
/// young one, so the jobs still being read stay. Retention and ownership are checked by the reader on every
/// hit (the entry keeps the owner and the created time).
/// </summary>
public sealed class FinishedJobCache
{
    /// <summary>Entries per generation: at most twice this many bodies of about 1 KB are held.</summary>
    public const int GenerationSize = 20_000;

    private readonly Lock _turnover = new();
    private ConcurrentDictionary<string, RenderedJob> _young = new(StringComparer.Ordinal);
    private ConcurrentDictionary<string, RenderedJob> _old = new(StringComparer.Ordinal);
    private int _youngCount;
    /// <summary>Bodies by job snapshot (object identity), for as long as the snapshot lives.</summary>
    private readonly ConditionalWeakTable<Job, RenderedJob> _snapshots = new();

    /// <summary>The job's body with result links under <paramref name="baseUrl"/>, if cached.</summary>
    public RenderedJob? Find(string jobId, string baseUrl)
    {
        if (_young.TryGetValue(jobId, out var job)) return job.BaseUrl == baseUrl ? job : null;
        if (_old.TryGetValue(jobId, out job) && job.BaseUrl == baseUrl)
        {
            Add(job);
            return job;
        }
        return null;
    }

    /// <summary>
    /// The job's body: from the cache when it is a cached terminal job; otherwise rendered, once per
    /// snapshot (the one change notification hands every waiter the same <see cref="Job"/>, so a change that
    /// wakes 10,000 waiters is rendered once, not 10,000 times), and kept when terminal.
    /// </summary>
    public RenderedJob Render(Job job, string baseUrl)
    {
        if (_snapshots.TryGetValue(job, out var shared) && shared.BaseUrl == baseUrl) return shared;
        if (job.Status.IsTerminal() && Find(job.Id, baseUrl) is { } cached) return cached;
        var rendered = RenderedJob.Of(job, baseUrl);
        _snapshots.AddOrUpdate(job, rendered);
        if (rendered.Terminal) Add(rendered);
        return rendered;
    }

    public void Add(RenderedJob job)
    {
        if (!job.Terminal) throw new ArgumentException("Only terminal jobs are immutable", nameof(job));
        _young[job.JobId] = job;
        if (Interlocked.Increment(ref _youngCount) < GenerationSize) return;
        lock (_turnover)
        {
            if (Volatile.Read(ref _youngCount) < GenerationSize) return;
            _old = _young;
            _young = new ConcurrentDictionary<string, RenderedJob>(StringComparer.Ordinal);
            Volatile.Write(ref _youngCount, 0);
        }
    }
}
