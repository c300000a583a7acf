using FaceSwap.Core.Storage;

namespace FaceSwap.Core.Dispatch;

/// <summary>
/// Claimed jobs waiting for an engine slot. A lane is one user's channel: its jobs start oldest first. Each
/// budget (the local engine's cores, the slots of engines that mostly wait) has its own capacity, and the
/// lanes that share a budget take turns, so no lane can keep another waiting behind its whole backlog.
/// Thread-safe.
/// </summary>
internal sealed class JobLanes
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Budget> _budgets;
    private readonly Dictionary<(long UserId, string Channel), Lane> _lanes = [];
    private readonly Dictionary<string, Lane> _laneOfJob = [];

    /// <param name="capacities">Each budget's name and how many of its jobs may run at once.</param>
    public JobLanes(IReadOnlyDictionary<string, int> capacities) =>
        _budgets = capacities.ToDictionary(c => c.Key, c => new Budget(Math.Max(1, c.Value)));

    /// <summary>Queues a claimed job in its lane, under <paramref name="budget"/> (the lane's, once it exists).</summary>
    public void Add(ClaimedJob job, string budget)
    {
        lock (_gate)
        {
            if (_laneOfJob.ContainsKey(job.Job.Id)) return;
            var key = (job.Job.UserId, job.Job.Channel);
            if (!_lanes.TryGetValue(key, out var lane))
            {
                lane = new Lane(key, budget, _budgets[budget]);
                _lanes[key] = lane;
            }
            lane.Waiting.Add(job);
            _laneOfJob[job.Job.Id] = lane;
            if (lane.Turn is null) lane.Turn = lane.Pool.Turns.AddLast(lane);
        }
    }

    /// <summary>
    /// The next job to start: from a budget with a free slot, the oldest job of the lane whose turn it is.
    /// Its slot is taken until <see cref="Finished"/>.
    /// </summary>
    public bool TryTake(out ClaimedJob job, out string budget)
    {
        lock (_gate)
        {
            foreach (var pool in _budgets.Values)
            {
                if (pool.Running >= pool.Capacity || pool.Turns.First is not { } turn) continue;
                var lane = turn.Value;
                pool.Turns.RemoveFirst();
                lane.Turn = null;
                job = lane.Waiting.Min!;
                lane.Waiting.Remove(job);
                _laneOfJob.Remove(job.Job.Id);
                if (lane.Waiting.Count > 0) lane.Turn = pool.Turns.AddLast(lane);
                else _lanes.Remove(lane.Key);
                pool.Running++;
                budget = lane.BudgetName;
                return true;
            }
        }
        job = null!;
        budget = "";
        return false;
    }

    /// <summary>Frees the slot a job taken from <paramref name="budget"/> held.</summary>
    public void Finished(string budget)
    {
        lock (_gate) _budgets[budget].Running--;
    }

    /// <summary>Drops a waiting job (its lease was lost); false when it is not waiting here.</summary>
    public bool Remove(string jobId)
    {
        lock (_gate)
        {
            if (!_laneOfJob.Remove(jobId, out var lane)) return false;
            lane.Waiting.RemoveWhere(j => j.Job.Id == jobId);
            if (lane.Waiting.Count == 0)
            {
                if (lane.Turn is not null) lane.Pool.Turns.Remove(lane.Turn);
                lane.Turn = null;
                _lanes.Remove(lane.Key);
            }
            return true;
        }
    }

    /// <summary>The ids of the jobs waiting here (their leases are held and must be renewed).</summary>
    public IReadOnlyList<string> WaitingIds()
    {
        lock (_gate) return _laneOfJob.Keys.ToList();
    }

    private sealed class Budget(int capacity)
    {
        public int Capacity { get; } = capacity;
        public int Running { get; set; }
        public LinkedList<Lane> Turns { get; } = new();
    }

    private sealed class Lane((long, string) key, string budgetName, Budget pool)
    {
        public (long UserId, string Channel) Key { get; } = key;
        public string BudgetName { get; } = budgetName;
        public Budget Pool { get; } = pool;
        public SortedSet<ClaimedJob> Waiting { get; } = new(Comparer<ClaimedJob>.Create((a, b) =>
        {
            var byCreated = a.Job.Created.CompareTo(b.Job.Created);
            return byCreated != 0 ? byCreated : string.CompareOrdinal(a.Job.Id, b.Job.Id);
        }));
        public LinkedListNode<Lane>? Turn { get; set; }
    }
}
