using FaceSwap.Discord.Protocol;
using FaceSwap.Discord.Rest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceSwap.Discord.Polling;

/// <summary>
/// Reads one Discord channel for every command waiting on it, so history reads grow with channels, not
/// with jobs: at most one read per <see cref="DiscordEngineOptions.FastPollInterval"/> while a blocking
/// answer is due or a client waits, one per jittered slow interval while only async results are due, and
/// none when nobody waits. Messages a command expects to change in place are re-read by id. It also
/// hands out the channel's turn: one interaction at a time waits for its first reply, so "the first
/// reply of our user to this command since we sent it" cannot be someone else's.
/// </summary>
public sealed class ChannelPoller
{
    /// <summary>Discord's largest page for channel history reads (developers/resources/message.mdx, Get Channel Messages).</summary>
    public const int PageSize = 100;

    /// <summary>How long a bot can edit its answer to an interaction.</summary>
    private static readonly TimeSpan InteractionTokenLifetime = TimeSpan.FromMinutes(15);

    /// <summary>How many claimed message ids are remembered after their command finished.</summary>
    private const int ClaimMemory = 2000;

    private readonly string channelId;
    private readonly DiscordRestClient rest;
    private readonly IOptionsMonitor<DiscordEngineOptions> options;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly List<ReplyWait> waits = [];
    private readonly Dictionary<string, ReplyWait> claims = [];
    private readonly HashSet<string> finishedClaims = [];
    private readonly Queue<string> finishedOrder = new();
    private readonly SemaphoreSlim turn = new(1, 1);
    private readonly Lock gate = new();
    private string token = "";
    private string claimedUpTo = "0";
    private Task? loop;
    private TaskCompletionSource wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool readNow; // a wait at its deadline asked for a read now (ReadNow)

    public ChannelPoller(string channelId, DiscordRestClient rest, IOptionsMonitor<DiscordEngineOptions> options, TimeProvider time, ILogger logger)
    {
        this.channelId = channelId;
        this.rest = rest;
        this.options = options;
        this.time = time;
        this.logger = logger;
    }

    public string ChannelId => channelId;

    /// <summary>History polls made so far (each may read several pages).</summary>
    public int PollCount { get; private set; }

    public bool IsRunning
    {
        get { lock (gate) return loop is not null; }
    }

    /// <summary>
    /// The newest message this process has handed to a command of the channel ("0" when none): every
    /// earlier answer of ours is taken, so a command sent now only looks after it.
    /// </summary>
    public string ClaimedUpTo
    {
        get { lock (gate) return claimedUpTo; }
    }

    /// <summary>
    /// Waits until no other command of this channel is waiting for its first reply; dispose the result
    /// once this command's first reply arrived (or it gave up).
    /// </summary>
    public async Task<IDisposable> AcquireTurnAsync(CancellationToken ct)
    {
        await turn.WaitAsync(ct);
        return new Once(() => turn.Release());
    }

    /// <summary>Adds a wait; the poller starts if it was idle. The first read comes one interval later.</summary>
    public IDisposable Add(string userToken, ReplyWait wait)
    {
        lock (gate)
        {
            token = userToken; // the newest token wins: an operator may have replaced a revoked one
            waits.Add(wait);
            wait.Attach(ReadNow);
            if (loop is null)
            {
                // The loop must not carry the first job's ambient request tally into every later poll.
                var startedAt = time.GetUtcNow();
                using (ExecutionContext.SuppressFlow())
                {
                    loop = Task.Run(() => RunAsync(startedAt));
                }
            }
            wake.TrySetResult();
        }
        return new Once(() => Remove(wait));
    }

    /// <summary>A wait is at its deadline: read at once rather than at the next interval (one read, however many ask).</summary>
    private void ReadNow()
    {
        lock (gate)
        {
            readNow = true;
            wake.TrySetResult();
        }
    }

    private void Remove(ReplyWait wait)
    {
        lock (gate)
        {
            waits.Remove(wait);
            foreach (var id in claims.Where(c => c.Value == wait).Select(c => c.Key).ToList())
            {
                claims.Remove(id);
                if (finishedClaims.Add(id))
                {
                    finishedOrder.Enqueue(id);
                }
            }
            while (finishedOrder.Count > ClaimMemory)
            {
                finishedClaims.Remove(finishedOrder.Dequeue());
            }
            wake.TrySetResult();
        }
    }

    private async Task RunAsync(DateTimeOffset startedAt)
    {
        var lastPoll = startedAt; // the first read comes one interval after the first wait was added
        TimeSpan? slowInterval = null;
        while (true)
        {
            Task wakeTask;
            bool fast;
            lock (gate)
            {
                if (waits.Count == 0)
                {
                    loop = null;
                    return;
                }
                if (wake.Task.IsCompleted)
                {
                    wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                wakeTask = wake.Task;
                fast = waits.Any(w => w.WantsFastPolling);
            }

            var settings = options.CurrentValue;
            TimeSpan interval;
            if (fast)
            {
                slowInterval = null;
                interval = settings.FastPollInterval;
            }
            else
            {
                slowInterval ??= Jitter(settings.SlowPollMin, settings.SlowPollMax);
                interval = slowInterval.Value;
            }

            bool asked;
            lock (gate) asked = readNow;
            var due = asked ? TimeSpan.Zero : lastPoll + interval - time.GetUtcNow();
            if (due > TimeSpan.Zero)
            {
                // Sleep in short steps and then look again: a client may start waiting on a slow job,
                // and a new or finished wait wakes us at once to re-decide the interval.
                var step = due < settings.FastPollInterval ? due : settings.FastPollInterval;
                var sleep = Task.Delay(step, time);
                // The delay counts from when it was made: if the clock moved on since "due" was read, look again.
                if (lastPoll + interval - time.GetUtcNow() > TimeSpan.Zero)
                {
                    await Task.WhenAny(sleep, wakeTask);
                }
                continue;
            }

            lastPoll = time.GetUtcNow();
            slowInterval = null;
            await PollOnceAsync();
        }
    }

    private async Task PollOnceAsync()
    {
        ReplyWait[] current;
        string userToken;
        lock (gate)
        {
            current = [.. waits];
            userToken = token;
            readNow = false;
        }
        if (current.Length == 0)
        {
            return;
        }
        var reads = current.Select(w => w.BeginRead()).ToList();

        PollCount++;
        var cursor = current.Select(w => w.After).Aggregate(Snowflake.Min);
        var seen = new HashSet<string>();
        try
        {
            while (true)
            {
                var page = await rest.GetMessagesAfterAsync(userToken, channelId, cursor, PageSize, RequestPurpose.Poll, CancellationToken.None);
                if (page.Count == 0)
                {
                    break;
                }
                Deliver(current, page);
                seen.UnionWith(page.Select(m => m.Id));
                cursor = page[^1].Id;
                foreach (var wait in current)
                {
                    wait.Advance(cursor);
                }
                if (page.Count < PageSize)
                {
                    break;
                }
            }

            // Edits of messages the cursor has passed: read each watched one again by id, while it can still
            // change: a bot edits its answers with the interaction token, valid for 15 minutes
            // (developers/interactions/receiving-and-responding.mdx).
            var editable = time.GetUtcNow() - InteractionTokenLifetime;
            var stale = current.SelectMany(w => w.Watched).Distinct()
                .Where(id => !seen.Contains(id) && Snowflake.ToTime(id) >= editable).ToList();
            if (stale.Count > 1)
            {
                // Several to read again: one page around the middle one shows every one of them that lies within
                // it, so the cost grows with the channel, not with the commands waiting in it.
                stale.Sort(Snowflake.Compare);
                var window = await rest.GetMessagesAroundAsync(userToken, channelId, stale[stale.Count / 2], PageSize, RequestPurpose.Reread, CancellationToken.None);
                var found = window.Where(m => stale.Contains(m.Id)).ToList();
                Deliver(current, found);
                stale.RemoveAll(id => found.Any(m => m.Id == id));
            }
            foreach (var id in stale)
            {
                var message = await rest.GetMessageAsync(userToken, channelId, id, RequestPurpose.Reread, CancellationToken.None);
                if (message is not null)
                {
                    Deliver(current, [message]);
                }
            }
        }
        catch (DiscordApiException ex) when (ex is DiscordUnauthorizedException or DiscordAccountBlockedException)
        {
            // The account cannot read the channel: no later poll can succeed, every wait fails with why.
            foreach (var wait in current)
            {
                wait.Fault(ex);
            }
        }
        catch (Exception ex)
        {
            // Transient trouble (network, 5xx after retries): the next poll tries again and the waits'
            // own deadlines bound how long a job can hang on it.
            logger.LogWarning("Polling channel {Channel} failed: {Error}", channelId, ex.Message);
        }
        foreach (var read in reads)
        {
            read.TrySetResult();
        }
    }

    /// <summary>
    /// Hands each bot message to the wait it belongs to: the wait that already claimed it (an edit), else
    /// the strongest tie (reference, then text token, then first reply), the oldest command first.
    /// </summary>
    internal void Deliver(IReadOnlyList<ReplyWait> current, IReadOnlyList<DiscordMessage> page)
    {
        var botId = options.CurrentValue.BotApplicationId;
        foreach (var message in page)
        {
            if (!ReplyMatcher.IsFromBot(message, botId))
            {
                continue;
            }
            ReplyWait? owner;
            lock (gate)
            {
                if (finishedClaims.Contains(message.Id))
                {
                    continue;
                }
                claims.TryGetValue(message.Id, out owner);
            }
            if (owner is not null)
            {
                if (current.Contains(owner))
                {
                    owner.Deliver(message);
                }
                continue;
            }

            var best = current
                .Where(w => !w.HasPassed(message))
                .Select(w => (Wait: w, Match: ReplyMatcher.Match(w.Expectation, message, botId)))
                .Where(x => x.Match != ReplyMatch.None && (x.Match != ReplyMatch.FirstReply || x.Wait.AwaitingFirstReply))
                .OrderBy(x => x.Match)
                .ThenBy(x => Snowflake.Parse(x.Wait.Expectation.SentAfter))
                .Select(x => (x.Wait, x.Match))
                .FirstOrDefault();
            if (best.Wait is null)
            {
                continue;
            }

            lock (gate)
            {
                claims[message.Id] = best.Wait;
                claimedUpTo = Snowflake.Max(claimedUpTo, message.Id);
            }
            Learn(best.Wait, best.Match, message);
            best.Wait.Deliver(message);
        }
    }

    /// <summary>
    /// What a matched message teaches about later ones, learned before the next message of the page is
    /// matched: the first reply's id (follow-ups and async results point back to it) and the bot's job id.
    /// </summary>
    private static void Learn(ReplyWait wait, ReplyMatch match, DiscordMessage message)
    {
        var expectation = wait.Expectation;
        if (match == ReplyMatch.FirstReply)
        {
            wait.AwaitingFirstReply = false;
            // A follow-up seen first answers an original we cannot see (ephemeral); later ones point there too.
            expectation.FirstReplyMessageId ??= message.InteractionMetadata?.OriginalResponseMessageId ?? message.Id;
        }
        if (InsightFaceSwapReply.Read(message).JobId is { } jobId)
        {
            var token = $"[jobid: {jobId}]";
            if (!expectation.TextTokens.Contains(token))
            {
                expectation.TextTokens.Add(token);
            }
        }
    }

    private static TimeSpan Jitter(TimeSpan min, TimeSpan max) =>
        max <= min ? min : min + (max - min) * Random.Shared.NextDouble();

    private sealed class Once(Action action) : IDisposable
    {
        private int done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref done, 1) == 0)
            {
                action();
            }
        }
    }
}
