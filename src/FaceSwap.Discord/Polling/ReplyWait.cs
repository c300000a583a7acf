using System.Threading.Channels;
using FaceSwap.Discord.Protocol;

namespace FaceSwap.Discord.Polling;

/// <summary>
/// One command waiting for the bot in a channel. The channel's poller hands it each message it matched,
/// again whenever that message changed (an edit in place); the engine reads them in order. The wait
/// names the messages it still expects to change (a LOADING reply, an interim text, a "Job Submitted"
/// that may become the result), and the poller re-reads those by id: history read with <c>after=</c>
/// never returns a message again once the cursor has passed it.
/// </summary>
public sealed class ReplyWait
{
    private readonly Channel<DiscordMessage> inbox = Channel.CreateUnbounded<DiscordMessage>();
    private readonly Func<bool> clientWaiting;
    private readonly HashSet<string> watched = [];
    private readonly Dictionary<string, string> versions = [];
    private TaskCompletionSource nextRead = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Action? readSoon;
    private string after;

    public ReplyWait(ReplyExpectation expectation, Func<bool> clientWaiting)
    {
        Expectation = expectation;
        after = expectation.SentAfter;
        this.clientWaiting = clientWaiting;
    }

    public ReplyExpectation Expectation { get; }

    /// <summary>True until the command's first reply arrived; such a wait holds its channel's turn.</summary>
    public bool AwaitingFirstReply { get; set; } = true;

    /// <summary>Set while a blocking answer is due (a deferred or interim reply is being worked on).</summary>
    public bool AnswerDue { get; set; } = true;

    public bool WantsFastPolling => AwaitingFirstReply || AnswerDue || clientWaiting();

    /// <summary>The newest message id this wait has read past; starts at the send time's snowflake.</summary>
    public string After
    {
        get { lock (watched) return after; }
    }

    /// <summary>
    /// Asks the channel's poller for a read that starts from now, without waiting out its interval, and completes
    /// once that read has finished (messages it matched are in this wait's inbox by then). Before giving up at a
    /// deadline the engine reads once more: an answer that appeared after the last read would otherwise be missed.
    /// </summary>
    public Task ReadAgainAsync(CancellationToken ct)
    {
        Task read;
        lock (watched) read = nextRead.Task;
        readSoon?.Invoke();
        return read.WaitAsync(ct);
    }

    /// <summary>Messages the engine expects to change in place; the poller re-reads them by id.</summary>
    public IReadOnlyList<string> Watched
    {
        get { lock (watched) return [.. watched]; }
    }

    public void Watch(string messageId)
    {
        lock (watched) watched.Add(messageId);
    }

    /// <summary>Watches this message alone: an earlier LOADING or interim message has been answered.</summary>
    public void WatchOnly(string messageId)
    {
        lock (watched)
        {
            watched.Clear();
            watched.Add(messageId);
        }
    }

    internal bool HasPassed(DiscordMessage message) => Snowflake.Compare(message.Id, After) <= 0;

    internal void Advance(string lastId)
    {
        lock (watched) after = Snowflake.Max(after, lastId);
    }

    /// <summary>Joins the poller that reads for this wait; <paramref name="readNow"/> brings its next read forward.</summary>
    internal void Attach(Action readNow) => readSoon = readNow;

    /// <summary>A read for this wait starts: it answers every <see cref="ReadAgainAsync"/> asked before now. Complete the result when it has finished.</summary>
    internal TaskCompletionSource BeginRead()
    {
        lock (watched)
        {
            var begun = nextRead;
            nextRead = new(TaskCreationOptions.RunContinuationsAsynchronously);
            return begun;
        }
    }

    /// <summary>Hands over a matched message unless this wait already has it in this very state.</summary>
    internal bool Deliver(DiscordMessage message)
    {
        var version = VersionOf(message);
        lock (watched)
        {
            if (versions.TryGetValue(message.Id, out var seen) && seen == version)
            {
                return false;
            }
            versions[message.Id] = version;
        }
        inbox.Writer.TryWrite(message);
        return true;
    }

    internal void Fault(Exception error) => inbox.Writer.TryComplete(error);

    /// <summary>The next matched message, or null when none arrived by <paramref name="deadline"/>.</summary>
    public async Task<DiscordMessage?> NextAsync(DateTimeOffset deadline, TimeProvider time, CancellationToken ct)
    {
        if (inbox.Reader.TryRead(out var ready))
        {
            return ready;
        }
        var left = deadline - time.GetUtcNow();
        if (left <= TimeSpan.Zero)
        {
            return null;
        }
        using var timer = new CancellationTokenSource(left, time);
        if (time.GetUtcNow() >= deadline)
        {
            return inbox.Reader.TryRead(out ready) ? ready : null; // the clock moved while the timer was made
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        try
        {
            return await inbox.Reader.ReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
        catch (ChannelClosedException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }
    }

    /// <summary>What makes two reads of one message differ: an edit sets <c>edited_timestamp</c> and may change flags, text or files.</summary>
    private static string VersionOf(DiscordMessage message) =>
        $"{message.EditedTimestamp}|{message.Flags}|{message.Attachments.Count}|{message.Content}";
}
