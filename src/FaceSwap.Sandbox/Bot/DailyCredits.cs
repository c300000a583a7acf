namespace FaceSwap.Sandbox.Bot;

public sealed record CreditsUsed(string UserId, DateOnly Day, int Used);

/// <summary>
/// Each Discord account's credits for the current UTC day. Commands are charged when they succeed; the count
/// starts over at 00:00 UTC.
/// </summary>
public sealed class DailyCredits
{
    private readonly Dictionary<string, (DateOnly Day, int Used)> _used = [];
    private readonly Lock _gate = new();
    private readonly TimeProvider _clock;

    public DailyCredits(TimeProvider clock, int total)
    {
        _clock = clock;
        Total = total;
    }

    public int Total { get; }

    public int Left(string userId)
    {
        lock (_gate) return Total - UsedToday(userId);
    }

    /// <summary>Charges <paramref name="cost"/> if that many are left; returns whether it did and what is left.</summary>
    public (bool Charged, int Left) TryCharge(string userId, int cost)
    {
        lock (_gate)
        {
            int used = UsedToday(userId);
            if (used + cost > Total) return (false, Total - used);
            _used[userId] = (Today, used + cost);
            return (true, Total - used - cost);
        }
    }

    /// <summary>Sets today's usage, for tests that need an account close to its limit.</summary>
    public void SetUsed(string userId, int used)
    {
        lock (_gate) _used[userId] = (Today, Math.Clamp(used, 0, Total));
    }

    public IReadOnlyList<CreditsUsed> Export()
    {
        lock (_gate) return _used.Select(p => new CreditsUsed(p.Key, p.Value.Day, p.Value.Used)).ToArray();
    }

    public void Restore(IEnumerable<CreditsUsed> used)
    {
        lock (_gate)
        {
            _used.Clear();
            foreach (var entry in used) _used[entry.UserId] = (entry.Day, entry.Used);
        }
    }

    private DateOnly Today => DateOnly.FromDateTime(_clock.GetUtcNow().UtcDateTime);

    private int UsedToday(string userId) =>
        _used.TryGetValue(userId, out var entry) && entry.Day == Today ? entry.Used : 0;
}
