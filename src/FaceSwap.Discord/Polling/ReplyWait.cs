using System.Threading.Channels;
using FaceSwap.Discord.Protocol;

namespace FaceSwap.Discord.Polling;

/// <summary>
/// One command waiting for the bot in a channel. The channel's poller hands it the messages it matched;
/// the engine reads them in order. <see cref="After"/> is this wait's own cursor, so a wait resumed
/// after a restart can start further back in the history than the others.
/// </summary>
public sealed class ReplyWait
{
    private readonly Channel<DiscordMessage> inbox = Channel.CreateUnbounded<DiscordMessage>();
    private readonly Func<bool> clientWaiting;
    private string after;
    private string? heldLoadingId;

    public ReplyWait(ReplyExpectation expectation, string after, Func<bool> clientWaiting)
    {
        Expectation = expectation;
        this.after = after;
        this.clientWaiting = clientWaiting;
        Registered = DateTimeOffset.UtcNow;
    }

    public ReplyExpectation Expectation { get; }
    public DateTimeOffset Registered { get; }

    /// <summary>Set once the first reply arrived: only a waiting client makes the poller hurry after that.</summary>
    public bool AwaitingFirstReply { get; set; } = true;

    public bool WantsFastPolling => AwaitingFirstReply || clientWaiting();

    /// <summary>The last message id this wait has seen; a held "thinking" reply keeps it just below that reply.</summary>
    public string After
    {
        get
        {
            lock (inbox)
            {
                return heldLoadingId is { } held ? Snowflake.Min(after, Snowflake.Before(held)) : after;
            }
        }
    }

    internal bool HasSeen(DiscordMessage message) => Snowflake.Compare(message.Id, After) <= 0;

    internal void Advance(string lastId)
    {
        lock (inbox)
        {
            after = Snowflake.Max(after, lastId);
        }
    }

    internal void Deliver(DiscordMessage message)
    {
        lock (inbox)
        {
            // Discord edits a deferred reply in place; the cursor must not pass it until it is final,
            // or the edit would never be seen.
            if (message.IsLoading)
            {
                heldLoadingId ??= message.Id;
            }
            else if (heldLoadingId == message.Id)
            {
                heldLoadingId = null;
            }
        }
        inbox.Writer.TryWrite(message);
    }

    internal void Fault(Exception error) => inbox.Writer.TryComplete(error);

    /// <summary>The next matched message, or null when none arrived within <paramref name="timeout"/>.</summary>
    public async Task<DiscordMessage?> NextAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (inbox.Reader.TryRead(out var ready))
        {
            return ready;
        }
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timer.CancelAfter(timeout);
        try
        {
            return await inbox.Reader.ReadAsync(timer.Token);
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
}
