using System.Collections.Concurrent;
using System.Threading.Channels;
using FaceSwap.Sandbox.Discord;

namespace FaceSwap.Sandbox.Bot;

/// <summary>
/// An accepted interaction with its drawn plan, what was already posted for it (a LOADING message, an interim text),
/// and when the bot answers it. The due time is fixed when the interaction arrives and is the answer's time for
/// Discord's deadlines, however late the bot's thread gets to it.
/// </summary>
public sealed record PendingInteraction(AcceptedInteraction Interaction, PlannedReply Plan, ChannelMessage? Acknowledgement, DateTimeOffset Due);

/// <summary>An asynchronous job whose result is due at <see cref="Due"/>, to follow the message <see cref="FirstMessageId"/>.</summary>
public sealed record PendingJob(AcceptedInteraction Interaction, ulong FirstMessageId, AsyncJob Job, AsyncResultStyle Style, DateTimeOffset Due);

/// <summary>
/// The InsightFaceSwap bot as Discord shows it. It works through each channel's interactions one at a time, in
/// arrival order, as the real bot queues them, and answers each in the pattern its <see cref="ReplyPlan"/> drew
/// (developers/interactions/receiving-and-responding.mdx): an immediate response, a deferred LOADING message edited
/// later, an interim text and a follow-up, a private (ephemeral) refusal, or nothing. An asynchronous job's result
/// comes later on its own, without holding up the queue.
/// </summary>
public sealed class EmulatedBot : IAsyncDisposable
{
    /// <summary>receiving-and-responding.mdx: interaction tokens are valid for 15 minutes; after that no edit or follow-up.</summary>
    public static readonly TimeSpan InteractionTokenLifetime = TimeSpan.FromMinutes(15);

    /// <summary>receiving-and-responding.mdx: "you must send an initial response within 3 seconds"; else the token is invalidated.</summary>
    public static readonly TimeSpan InitialResponseDeadline = TimeSpan.FromSeconds(3);

    private readonly SandboxState _state;
    private readonly SandboxFaults _faults;
    private readonly SandboxOptions _options;
    private readonly InsightFaceSwapCommands _commands;
    private readonly OtherTraffic _traffic;
    private readonly ConcurrentDictionary<string, Channel<PendingInteraction>> _queues = new();
    private readonly ConcurrentDictionary<Task, bool> _running = new();
    private readonly ConcurrentDictionary<ulong, PendingInteraction> _pending = new();
    private readonly Dictionary<string, DateTimeOffset> _busyUntil = [];
    private readonly ConcurrentDictionary<string, PendingJob> _jobs = new();
    private readonly CancellationTokenSource _stopping = new();

    internal EmulatedBot(SandboxState state, SandboxFaults faults, SandboxOptions options, InsightFaceSwapCommands commands, OtherTraffic traffic)
    {
        _state = state;
        _faults = faults;
        _options = options;
        _commands = commands;
        _traffic = traffic;
    }

    public void Enqueue(AcceptedInteraction interaction)
    {
        var plan = _faults.TakeForcedPattern() is { } forced ? _state.Plan.Next() with { Pattern = forced } : _state.Plan.Next();
        _traffic.MaybeAppear(interaction.Channel);

        // Discord wants an initial response within 3 seconds: a bot that knows it will be later (a queue ahead of this
        // interaction, a slow moment) defers rather than answer directly, whatever the plan drew.
        var answerDue = ScheduleAnswer(interaction);
        if (plan.Pattern == ReplyPattern.Immediate && answerDue - interaction.AcceptedAt >= InitialResponseDeadline)
            plan = plan with { Pattern = ReplyPattern.Deferred };

        // What a bot that needs more than 3 seconds posts at once: a LOADING message, or an interim text.
        var acknowledgement = plan.Pattern switch
        {
            ReplyPattern.Deferred => PostResponse(interaction, "", [], MessageFlags.Loading),
            ReplyPattern.FollowUp => PostResponse(interaction, BotTexts.Interim(interaction.User.UserId), [], flags: 0),
            _ => null,
        };

        Queue(new PendingInteraction(interaction, plan, acknowledgement, answerDue));
    }

    /// <summary>Interactions accepted but not answered yet, in arrival order, and asynchronous jobs not finished: what a restart must not lose.</summary>
    public int PendingInteractionCount => _pending.Count;

    public int PendingJobCount => _jobs.Count;

    public (IReadOnlyList<PendingInteraction> Interactions, IReadOnlyList<PendingJob> Jobs) Pending() =>
        (_pending.Values.OrderBy(p => p.Interaction.Id).ToArray(), _jobs.Values.OrderBy(j => j.Due).ToArray());

    /// <summary>Takes up the work saved before a restart, with the plans and due times it had.</summary>
    public void Resume(IEnumerable<PendingInteraction> interactions, IEnumerable<PendingJob> jobs)
    {
        foreach (var pending in interactions.OrderBy(p => p.Interaction.Id))
        {
            lock (_busyUntil)
                if (!_busyUntil.TryGetValue(pending.Interaction.Channel.Id, out var busy) || busy < pending.Due)
                    _busyUntil[pending.Interaction.Channel.Id] = pending.Due;
            Queue(pending);
        }
        foreach (var job in jobs) StartJob(job);
    }

    /// <summary>When the bot will answer this interaction: its channel's answers come one after the other.</summary>
    private DateTimeOffset ScheduleAnswer(AcceptedInteraction interaction)
    {
        lock (_busyUntil)
        {
            var start = _busyUntil.TryGetValue(interaction.Channel.Id, out var busy) && busy > interaction.AcceptedAt ? busy : interaction.AcceptedAt;
            return _busyUntil[interaction.Channel.Id] = start + _options.BotReplyDelay + _faults.BotReplyDelay;
        }
    }

    private void Queue(PendingInteraction pending)
    {
        _pending[pending.Interaction.Id] = pending;
        var queue = _queues.GetOrAdd(pending.Interaction.Channel.Id, _ =>
        {
            var created = Channel.CreateUnbounded<PendingInteraction>(new UnboundedChannelOptions { SingleReader = true });
            Track(Task.Run(() => WorkAsync(created.Reader)));
            return created;
        });
        queue.Writer.TryWrite(pending);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var queue in _queues.Values) queue.Writer.TryComplete();
        await _stopping.CancelAsync();
        try { await Task.WhenAll(_running.Keys).WaitAsync(TimeSpan.FromSeconds(5)); }
        catch (Exception) { /* stopping: cancellations and late failures no longer matter */ }
        // _stopping is not disposed: a render still running past the wait may yet start a job, which must find its
        // token cancelled (and stay in the saved state), not disposed.
    }

    private async Task WorkAsync(ChannelReader<PendingInteraction> reader)
    {
        var ct = _stopping.Token;
        try
        {
            await foreach (var pending in reader.ReadAllAsync(ct))
            {
                try
                {
                    // One at a time per channel, each at the due time fixed on arrival (ScheduleAnswer).
                    await DelayUntilAsync(pending.Due, ct);
                    await AnswerAsync(pending, ct);
                    _pending.TryRemove(pending.Interaction.Id, out _);
                    _state.NotifyChanged();
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
                catch (Exception error)
                {
                    // A bot bug must not stop the channel's queue; the engine sees it as a missing reply.
                    Console.Error.WriteLine($"sandbox bot: {pending.Interaction.Command.Name} failed: {error}");
                    _pending.TryRemove(pending.Interaction.Id, out _);
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task AnswerAsync(PendingInteraction pending, CancellationToken ct)
    {
        var (interaction, plan, acknowledgement, due) = pending;
        string userId = interaction.User.UserId;
        switch (plan.Pattern)
        {
            case ReplyPattern.NoResponse:
                return;
            case ReplyPattern.EphemeralRefusal:
                _state.PostEphemeral(interaction.Channel, _state.BotUser, BotTexts.PrivateRefusal(userId), ResponseShape(interaction));
                return;
        }

        var answer = _faults.TakeModeration() ? new BotAnswer(BotTexts.Moderated(userId), []) : await _commands.AnswerAsync(interaction, ct);
        _traffic.MaybeAppear(interaction.Channel);
        // The command has run; whether its answer can still be shown depends on the interaction token's age. An
        // immediate response later than 3 seconds, or an edit or follow-up later than 15 minutes, is refused by
        // Discord: the work is done (and charged) but nothing more appears.
        var age = due - interaction.AcceptedAt;
        var first = plan.Pattern switch
        {
            ReplyPattern.Deferred when age < InteractionTokenLifetime && acknowledgement is not null =>
                EditResponse(interaction, acknowledgement, answer.Content, answer.Files),
            ReplyPattern.FollowUp when age < InteractionTokenLifetime && acknowledgement is not null =>
                PostFollowUp(interaction, acknowledgement, answer.Content, answer.Files),
            ReplyPattern.Immediate when age < InitialResponseDeadline => PostResponse(interaction, answer.Content, answer.Files, flags: 0),
            _ => null,
        };
        if (first is not null && answer.Job is { } job)
            StartJob(new PendingJob(interaction, first.Id, job, plan.AsyncResult, due + _options.AsyncResultDelay + _faults.BotReplyDelay));
    }

    private void StartJob(PendingJob pending)
    {
        _jobs[pending.Job.JobId] = pending;
        Track(Task.Run(() => FinishJobAsync(pending, _stopping.Token)));
    }

    private async Task FinishJobAsync(PendingJob pending, CancellationToken ct)
    {
        var (interaction, firstId, job, style, due) = pending;
        try
        {
            await DelayUntilAsync(due, ct);
            var file = await _commands.RenderAsync(job, ct);
            var channel = interaction.Channel;
            string content = BotTexts.JobCompleted(interaction.User.UserId, job.Kind, job.JobId);
            bool tokenValid = due - interaction.AcceptedAt < InteractionTokenLifetime;
            if (!(style == AsyncResultStyle.EditFirstReply && tokenValid && _state.Edit(channel, firstId, content, [file]) is not null))
            {
                // A new message from the bot user (not through the interaction's webhook): a reply to the first one.
                _state.Post(channel, _state.BotUser, content, [file], message => message with
                {
                    Type = MessageTypes.Reply,
                    Reference = new MessageReference(firstId, channel.Id, channel.GuildId),
                });
            }
            _jobs.TryRemove(job.JobId, out _);
            _state.NotifyChanged();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (Exception error)
        {
            _jobs.TryRemove(job.JobId, out _);
            Console.Error.WriteLine($"sandbox bot: {job.Kind} job {job.JobId} failed: {error}");
        }
    }

    /// <summary>
    /// The original response: type 20 (CHAT_INPUT_COMMAND) or 23 (CONTEXT_MENU_COMMAND), sent through the application's
    /// webhook (<c>webhook_id</c> and <c>application_id</c> = the application), authored by the bot user.
    /// </summary>
    private ChannelMessage PostResponse(AcceptedInteraction interaction, string content, IReadOnlyList<SandboxFile> files, int flags) =>
        _state.Post(interaction.Channel, _state.BotUser, content, files, message => ResponseShape(interaction)(message) with { Flags = flags });

    /// <summary>PATCH …/messages/@original: same id, LOADING cleared, <c>edited_timestamp</c> set.</summary>
    private ChannelMessage? EditResponse(AcceptedInteraction interaction, ChannelMessage original, string content, IReadOnlyList<SandboxFile> files) =>
        _state.Edit(interaction.Channel, original.Id, content, files, message => message with { Flags = message.Flags & ~MessageFlags.Loading });

    /// <summary>POST /webhooks/{app}/{token}: a new message whose metadata names the original response.</summary>
    private ChannelMessage PostFollowUp(AcceptedInteraction interaction, ChannelMessage original, string content, IReadOnlyList<SandboxFile> files) =>
        _state.Post(interaction.Channel, _state.BotUser, content, files, message => ResponseShape(interaction)(message) with
        {
            Interaction = Metadata(interaction) with { OriginalResponseMessageId = original.Id },
            // Only the original response of a message command points at its target (message.mdx, target_message_id).
            Reference = null,
        });

    private Func<ChannelMessage, ChannelMessage> ResponseShape(AcceptedInteraction interaction) => message => message with
    {
        Type = interaction.IsContextMenu ? MessageTypes.ContextMenuCommand : MessageTypes.ChatInputCommand,
        Interaction = Metadata(interaction),
        ApplicationId = _options.BotApplicationId,
        WebhookId = _options.BotApplicationId,
        Reference = interaction.Target is { } target ? new MessageReference(target.Id, target.ChannelId, target.GuildId) : null,
    };

    private static InteractionMetadata Metadata(AcceptedInteraction interaction) =>
        new(interaction.Id, interaction.User.AsAuthor, interaction.Command.Name, interaction.Target?.Id);

    /// <summary>
    /// Waits until the clock reads <paramref name="due"/>, looking at it again at least every second, so a clock that
    /// jumps (a test's fake time advanced in one step, a suspended machine) is noticed within a second.
    /// </summary>
    private async Task DelayUntilAsync(DateTimeOffset due, CancellationToken ct)
    {
        for (var wait = due - _options.Clock.GetUtcNow(); wait > TimeSpan.Zero; wait = due - _options.Clock.GetUtcNow())
            await Task.Delay(wait < TimeSpan.FromSeconds(1) ? wait : TimeSpan.FromSeconds(1), _options.Clock, ct);
    }

    private void Track(Task task)
    {
        _running[task] = true;
        task.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
    }
}
