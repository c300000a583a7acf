namespace FaceSwap.Sandbox.Discord;

/// <summary>
/// The messages of one channel, ordered by id. Bounded: the oldest messages fall off once the capacity is reached,
/// so a long-running sandbox does not grow without end; a test never needs more than a few hundred.
/// </summary>
public sealed class ChannelHistory
{
    private readonly List<ChannelMessage> _messages = [];
    private readonly Lock _gate = new();
    private readonly int _capacity;

    public ChannelHistory(int capacity) => _capacity = capacity;

    /// <summary>
    /// Creates the message with a fresh id and appends it under one lock, so that id order is append order even
    /// when the bot and a client post at the same moment. Returns the messages that fell off the end.
    /// </summary>
    public (ChannelMessage Added, IReadOnlyList<ChannelMessage> Evicted) Append(SnowflakeGenerator ids, Func<ulong, ChannelMessage> create)
    {
        lock (_gate)
        {
            var message = create(ids.Next());
            _messages.Add(message);
            if (_messages.Count <= _capacity) return (message, []);
            int excess = _messages.Count - _capacity;
            var evicted = _messages.GetRange(0, excess);
            _messages.RemoveRange(0, excess);
            return (message, evicted);
        }
    }

    /// <summary>Edits a message in place: it keeps its id and position, as an edit does at Discord.</summary>
    public ChannelMessage? Replace(ulong id, Func<ChannelMessage, ChannelMessage> edit)
    {
        lock (_gate)
        {
            int index = IndexOf(id);
            if (index < 0) return null;
            return _messages[index] = edit(_messages[index]);
        }
    }

    public ChannelMessage? Find(ulong id)
    {
        lock (_gate)
        {
            int index = IndexOf(id);
            return index >= 0 ? _messages[index] : null;
        }
    }

    /// <summary>Puts back messages saved before a restart (any order; kept sorted by id).</summary>
    public void Restore(IEnumerable<ChannelMessage> messages)
    {
        lock (_gate)
        {
            _messages.Clear();
            _messages.AddRange(messages.OrderBy(m => m.Id));
        }
    }

    public IReadOnlyList<ChannelMessage> Snapshot()
    {
        lock (_gate) return _messages.ToArray();
    }

    /// <summary>
    /// Discord's paging: newest first. With <paramref name="after"/> the page is the <paramref name="limit"/> messages
    /// right after that id (still returned newest first), so a client pages forward by taking the first id of a page.
    /// With <paramref name="before"/> (or nothing) it is the newest messages before that id.
    /// </summary>
    public IReadOnlyList<ChannelMessage> Page(ulong? after, ulong? before, ulong? around, int limit)
    {
        lock (_gate)
        {
            IEnumerable<ChannelMessage> page;
            if (around is ulong center)
            {
                var older = _messages.Where(m => m.Id <= center).TakeLast((limit + 1) / 2);
                var newer = _messages.Where(m => m.Id > center).Take(limit / 2);
                page = older.Concat(newer);
            }
            else if (after is ulong from)
            {
                page = _messages.Where(m => m.Id > from && (before is not ulong b || m.Id < b)).Take(limit);
            }
            else
            {
                page = _messages.Where(m => before is not ulong b || m.Id < b).TakeLast(limit);
            }
            return page.Reverse().ToArray();
        }
    }

    private int IndexOf(ulong id)
    {
        int lo = 0, hi = _messages.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            ulong current = _messages[mid].Id;
            if (current == id) return mid;
            if (current < id) lo = mid + 1; else hi = mid - 1;
        }
        return -1;
    }
}
