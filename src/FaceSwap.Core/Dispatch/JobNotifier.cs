using System.Collections.Concurrent;
using FaceSwap.Core.Jobs;

namespace FaceSwap.Core.Dispatch;

/// <summary>
/// Wakes whoever waits on a job (blocking requests, long-polls, streams) when it changes. One signal per
/// change, however many waiters: waiting costs no database reads, each change arrives with the job itself.
/// </summary>
public sealed class JobNotifier
{
    private readonly ConcurrentDictionary<string, JobSignal> _signals = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _watchedElsewhere = new();
    private readonly ConcurrentDictionary<long, UserJobsSubscription[]> _userListeners = new();
    private readonly Lock _userListenersGate = new();

    /// <summary>
    /// Every change of every job made on this node (metrics, the webhook sender, the feed that tells other nodes
    /// sharing the database). Changes that other nodes made arrive through <see cref="PublishFromPeer"/>, which
    /// does not raise this: the node that made a change counts and announces it.
    /// </summary>
    public event Action<Job>? Changed;

    /// <summary>
    /// Starts listening to a job's changes. Subscribe before reading the job's current state, so a change
    /// between the read and the wait is never missed.
    /// </summary>
    public JobSubscription Subscribe(string jobId)
    {
        while (true)
        {
            var fresh = _signals.TryGetValue(jobId, out var signal) ? null : new JobSignal();
            signal = fresh is null ? signal! : _signals.GetOrAdd(jobId, fresh);
            if (!signal.TryAddListener()) continue;
            if (ReferenceEquals(signal, fresh)) Watching?.Invoke(jobId);
            return new JobSubscription(this, jobId, signal);
        }
    }

    /// <summary>Raised when someone on this node starts listening to a job nobody here listened to.</summary>
    public event Action<string>? Watching;

    /// <summary>
    /// Says that a client waits on another node for this job, until <paramref name="until"/> unless said again: the
    /// node running the job then works as it does for a client of its own (the discord engine polls fast).
    /// </summary>
    public void WatchedElsewhere(string jobId, DateTimeOffset until) => _watchedElsewhere[jobId] = until;

    /// <summary>True while a client waits on another node for this job (as last said, and not yet run out).</summary>
    public bool IsWatchedElsewhere(string jobId, DateTimeOffset now) =>
        _watchedElsewhere.TryGetValue(jobId, out var until) && until > now;

    /// <summary>Forgets the waits elsewhere that ran out.</summary>
    public void ForgetWatchedElsewhere(DateTimeOffset now)
    {
        foreach (var (jobId, until) in _watchedElsewhere)
        {
            if (until <= now) _watchedElsewhere.TryRemove(new KeyValuePair<string, DateTimeOffset>(jobId, until));
        }
    }

    /// <summary>
    /// Starts listening to every change of the user's jobs (dashboards). Subscribe before reading the jobs'
    /// current state, so a change between the read and the wait is never missed.
    /// </summary>
    public UserJobsSubscription SubscribeUser(long userId)
    {
        var subscription = new UserJobsSubscription(this, userId);
        lock (_userListenersGate)
            _userListeners[userId] = _userListeners.TryGetValue(userId, out var listeners) ? [.. listeners, subscription] : [subscription];
        return subscription;
    }

    public void Publish(Job job)
    {
        if (_signals.TryGetValue(job.Id, out var signal)) signal.Publish(job);
        if (_userListeners.TryGetValue(job.UserId, out var listeners))
            foreach (var listener in listeners) listener.Offer(job);
        Changed?.Invoke(job);
    }

    /// <summary>
    /// Wakes this node's listeners with a change another node made, as re-read from the shared store. A snapshot
    /// that is not newer than the one last published here is dropped, so a late or repeated notice never moves a
    /// listener backwards or wakes it for nothing.
    /// </summary>
    public void PublishFromPeer(Job job)
    {
        var newer = !_signals.TryGetValue(job.Id, out var signal) || signal.PublishIfNewer(job);
        if (newer && _userListeners.TryGetValue(job.UserId, out var listeners))
            foreach (var listener in listeners) listener.Offer(job);
    }

    /// <summary>True while someone on this node listens to the job's changes, or to every change of its user's jobs.</summary>
    public bool IsWatched(string jobId, long userId) => _signals.ContainsKey(jobId) || _userListeners.ContainsKey(userId);

    /// <summary>The jobs someone on this node listens to now.</summary>
    public IReadOnlyList<string> WatchedJobs() => [.. _signals.Keys];

    /// <summary>The users whose every job change someone on this node listens to now.</summary>
    public IReadOnlyList<long> WatchedUsers() => [.. _userListeners.Keys];

    internal void Unsubscribe(UserJobsSubscription subscription)
    {
        lock (_userListenersGate)
        {
            if (!_userListeners.TryGetValue(subscription.UserId, out var listeners)) return;
            var rest = Array.FindAll(listeners, l => l != subscription);
            if (rest.Length == 0) _userListeners.TryRemove(subscription.UserId, out _);
            else _userListeners[subscription.UserId] = rest;
        }
    }

    internal void Unsubscribe(string jobId, JobSignal signal)
    {
        if (signal.RemoveListener()) _signals.TryRemove(new KeyValuePair<string, JobSignal>(jobId, signal));
    }

    internal sealed class JobSignal
    {
        private readonly Lock _gate = new();
        private int _listeners;
        private bool _retired;
        private long _version;
        private Job? _latest;
        private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool TryAddListener()
        {
            lock (_gate)
            {
                if (_retired) return false;
                _listeners++;
                return true;
            }
        }

        /// <summary>Returns true when the last listener left (the signal is then retired).</summary>
        public bool RemoveListener()
        {
            lock (_gate)
            {
                _retired = --_listeners == 0;
                return _retired;
            }
        }

        public void Publish(Job job) => Publish(job, onlyIfNewer: false);

        /// <summary>Publishes unless the job is not newer than the snapshot last published; says whether it did.</summary>
        public bool PublishIfNewer(Job job) => Publish(job, onlyIfNewer: true);

        private bool Publish(Job job, bool onlyIfNewer)
        {
            TaskCompletionSource woken;
            lock (_gate)
            {
                if (onlyIfNewer && _latest is { } latest && !IsNewer(job, latest)) return false;
                _version++;
                _latest = job;
                woken = _next;
                _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            woken.TrySetResult();
            return true;
        }

        /// <summary>
        /// Compared at the stores' millisecond precision. Only the lease holder writes a running job and terminal
        /// states are final, so two different states of one job never share a millisecond from two writers.
        /// </summary>
        private static bool IsNewer(Job candidate, Job latest)
        {
            if (latest.Status.IsTerminal()) return false;
            var (at, latestAt) = (candidate.Updated.ToUnixTimeMilliseconds(), latest.Updated.ToUnixTimeMilliseconds());
            if (at != latestAt) return at > latestAt;
            return candidate.Status != latest.Status || candidate.Upstream != latest.Upstream
                || candidate.Attachments.Count != latest.Attachments.Count;
        }

        public (long Version, Job? Latest, Task Next) Snapshot()
        {
            lock (_gate) return (_version, _latest, _next.Task);
        }
    }
}

/// <summary>One listener's view of a job's changes; dispose it to stop listening.</summary>
public sealed class JobSubscription : IDisposable
{
    private readonly JobNotifier _notifier;
    private readonly string _jobId;
    private readonly JobNotifier.JobSignal _signal;
    private long _seen;

    internal JobSubscription(JobNotifier notifier, string jobId, JobNotifier.JobSignal signal)
    {
        _notifier = notifier;
        _jobId = jobId;
        _signal = signal;
        _seen = signal.Snapshot().Version;
    }

    /// <summary>The job as of the next change published after the last one this listener saw.</summary>
    public async Task<Job> NextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var (version, latest, next) = _signal.Snapshot();
            if (version > _seen && latest is not null)
            {
                _seen = version;
                return latest;
            }
            await next.WaitAsync(cancellationToken);
        }
    }

    public void Dispose() => _notifier.Unsubscribe(_jobId, _signal);
}

/// <summary>
/// One listener's view of all of a user's jobs. Changes wait here until taken, the latest per job only, so a
/// slow reader costs at most one snapshot per job and never holds up the publisher.
/// </summary>
public sealed class UserJobsSubscription : IDisposable
{
    private readonly JobNotifier _notifier;
    private readonly Lock _gate = new();
    private readonly OrderedDictionary<string, Job> _pending = new();
    private TaskCompletionSource? _woken;

    internal UserJobsSubscription(JobNotifier notifier, long userId)
    {
        _notifier = notifier;
        UserId = userId;
    }

    public long UserId { get; }

    internal void Offer(Job job)
    {
        TaskCompletionSource? woken;
        lock (_gate)
        {
            // Publishers of one job may race; a terminal snapshot is final and never replaced by an older one.
            if (!_pending.TryGetValue(job.Id, out var waiting) || !waiting.Status.IsTerminal() || job.Status.IsTerminal())
                _pending[job.Id] = job;
            woken = _woken;
            _woken = null;
        }
        woken?.TrySetResult();
    }

    /// <summary>The jobs that changed since the last call, in the order of their first change; waits for one if none did.</summary>
    public async Task<IReadOnlyList<Job>> NextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_pending.Count > 0)
                {
                    var batch = _pending.Values.ToList();
                    _pending.Clear();
                    return batch;
                }
                _woken ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                changed = _woken.Task;
            }
            await changed.WaitAsync(cancellationToken);
        }
    }

    public void Dispose() => _notifier.Unsubscribe(this);
}
