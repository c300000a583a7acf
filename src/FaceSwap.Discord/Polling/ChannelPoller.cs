using FaceSwap.Discord.Protocol;
using FaceSwap.Discord.Rest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceSwap.Discord.Polling;

/// <summary>
/// Reads one Discord channel for every job waiting on it, so the number of requests grows with channels,
/// not with jobs. Polls fast while a reply is due or a client waits, slowly (with jitter) while only long
/// async jobs wait, and not at all when nobody waits.
/// </summary>
public sealed class ChannelPoller
{
    /// <summary>Discord's page size for channel history reads.</summary>
    public const int PageSize = 50;

    private readonly string channelId;
    private readonly DiscordRestClient rest;
    private readonly IOptionsMonitor<DiscordEngineOptions> options;
    private readonly ILogger logger;
    private readonly List<ReplyWait> waits = [];
    private readonly Lock gate = new();
    private string token = "";
    private Task? loop;
    private TaskCompletionSource wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ChannelPoller(string channelId, DiscordRestClient rest, IOptionsMonitor<DiscordEngineOptions> options, ILogger logger)
    {
        this.channelId = channelId;
        this.rest = rest;
        this.options = options;
        this.logger = logger;
    }

    public string ChannelId => channelId;

    /// <summary>Polls made so far (each may read several pages).</summary>
    public int PollCount { get; private set; }

    public bool IsRunning
    {
        get { lock (gate) return loop is not null; }
    }

    /// <summary>Adds a wait; the poller starts if it was idle and polls at once.</summary>
    public IDisposable Add(string userToken, ReplyWait wait)
    {
        lock (gate)
        {
            token = userToken; // the newest token wins: an operator may have replaced a revoked one
            waits.Add(wait);
            loop ??= Task.Run(RunAsync);
            wake.TrySetResult();
        }
        return new Registration(this, wait);
    }

    private void Remove(ReplyWait wait)
    {
        lock (gate)
        {
            waits.Remove(wait);
            wake.TrySetResult();
        }
    }

    private async Task RunAsync()
    {
        var lastPoll = DateTimeOffset.MinValue;
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

            var due = lastPoll + interval - DateTimeOffset.UtcNow;
            if (lastPoll != DateTimeOffset.MinValue && due > TimeSpan.Zero)
            {
                // Sleep in short steps and then look again: a client may start waiting on a slow job,
                // and a new or finished wait wakes us at once to re-decide the interval.
                var step = due < settings.FastPollInterval ? due : settings.FastPollInterval;
                await Task.WhenAny(Task.Delay(step), wakeTask);
                continue;
            }

            lastPoll = DateTimeOffset.UtcNow;
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
        }
        if (current.Length == 0)
        {
            return;
        }

        PollCount++;
        var cursor = current.Select(w => w.After).Aggregate(Snowflake.Min);
        try
        {
            while (true)
            {
                var page = await rest.GetMessagesAfterAsync(userToken, channelId, cursor, PageSize, CancellationToken.None);
                if (page.Count == 0)
                {
                    break;
                }
                Deliver(current, page);
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
        }
        catch (DiscordUnauthorizedException ex)
        {
            // A dead token fails every wait of the channel: no later poll can succeed.
            foreach (var wait in current)
            {
                wait.Fault(ex);
            }
        }
        catch (Exception ex)
        {
            // Transient trouble (network, 5xx after retries): the next poll tries again and the waits'
            // own timeouts bound how long a job can hang on it.
            logger.LogWarning("Polling channel {Channel} failed: {Error}", channelId, ex.Message);
        }
    }

    /// <summary>Hands each message to the wait it belongs to, strongest tie first, then by time order.</summary>
    internal void Deliver(IReadOnlyList<ReplyWait> current, IReadOnlyList<DiscordMessage> page)
    {
        var botId = options.CurrentValue.BotApplicationId;
        foreach (var message in page)
        {
            if (!ReplyMatcher.IsFromBot(message, botId))
            {
                continue;
            }
            var candidates = current.Where(w => !w.HasSeen(message)).ToList();
            var best = candidates
                .Select(w => (Wait: w, Match: ReplyMatcher.Match(w.Expectation, message, botId)))
                .Where(x => x.Match != ReplyMatch.None)
                .OrderBy(x => x.Match)
                .ThenBy(x => x.Wait.Registered)
                .Select(x => x.Wait)
                .FirstOrDefault();

            best ??= candidates
                .Where(w => ReplyMatcher.MayMatchByTimeOrder(w.Expectation, message, botId))
                .OrderBy(w => w.Registered)
                .FirstOrDefault();

            if (best is not null)
            {
                Learn(best.Expectation, message);
                best.Deliver(message);
            }
        }
    }

    /// <summary>
    /// What a matched message teaches about later ones: the interaction id, the first reply's id (the
    /// async result references it) and the <c>[jobid: …]</c> token. Learned here, before the next message
    /// of the same page is matched.
    /// </summary>
    private static void Learn(ReplyExpectation expectation, DiscordMessage message)
    {
        expectation.InteractionId ??= message.InteractionMetadata?.Id;
        if (expectation.FirstReplyMessageId is null && message.MessageReference is null)
        {
            expectation.FirstReplyMessageId = message.Id;
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

    private static TimeSpan Jitter(TimeSpan min, TimeSpan max)
    {
        if (max <= min)
        {
            return min;
        }
        return min + (max - min) * Random.Shared.NextDouble();
    }

    private sealed class Registration(ChannelPoller poller, ReplyWait wait) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                poller.Remove(wait);
            }
        }
    }
}
