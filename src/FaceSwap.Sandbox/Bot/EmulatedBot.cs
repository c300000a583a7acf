using System.Collections.Concurrent;
using System.Threading.Channels;
using FaceSwap.Sandbox.Discord;

namespace FaceSwap.Sandbox.Bot;

/// <summary>An accepted interaction with its drawn plan and what was already posted for it (a LOADING message, an interim text).</summary>
public sealed record PendingInteraction(AcceptedInteraction Interaction, PlannedReply Plan, ChannelMessage? Acknowledgement);

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

    private readonly SandboxState _state;
    private readonly SandboxFaults _faults;
    private readonly SandboxOptions _options;
    private readonly InsightFaceSwapCommands _commands;
    private readonly OtherTraffic _traffic;
    private readonly ConcurrentDictionary<string, Channel<PendingInteraction>> _queues = new();
    private readonly ConcurrentDictionary<Task, bool> _running = new();
    private readonly ConcurrentDictionary<ulong, PendingInteraction> _pending = new();
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

        // What a bot that needs more than 3 seconds posts at once: a LOADING message, or an interim text.
        var acknowledgement = plan.Pattern switch
        {
            ReplyPattern.Deferred => PostResponse(interaction, "", [], MessageFlags.Loading),
            ReplyPattern.FollowUp => PostResponse(interaction, BotTexts.Interim(interaction.User.UserId), [], flags: 0),
            _ => null,
        };

        Queue(new PendingInteraction(interaction, plan, acknowledgement));
    }

    /// <summary>Interactions accepted but not answered yet, in arrival order, and asynchronous jobs not finished: what a restart must not lose.</summary>
    public (IReadOnlyList<PendingInteraction> Interactions, IReadOnlyList<PendingJob> Jobs) Pending() =>
        (_pending.Values.OrderBy(p => p.Interaction.Id).ToArray(), _jobs.Values.OrderBy(j => j.Due).ToArray());

    /// <summary>Takes up the work saved before a restart, with the plans and due times it had.</summary>
    public void Resume(IEnumerable<PendingInteraction> interactions, IEnumerable<PendingJob> jobs)
    {
        foreach (var pending in interactions.OrderBy(p => p.Interaction.Id)) Queue(pending);
        foreach (var job in jobs) StartJob(job);
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
        _stopping.Dispose();
    }

    private async Task WorkAsync(ChannelReader<PendingInteraction> reader)
    {
        var ct = _stopping.Token;
        var previousDone = DateTimeOffset.MinValue;
        try
        {
            await foreach (var pending in reader.ReadAllAsync(ct))
            {
                try
                {
                    // One at a time per channel: each answer comes the reply delay after its interaction arrived or
                    // after the previous answer, whichever is later. Due times, not sleeps, so fake time can drive it.
                    var start = pending.Interaction.AcceptedAt > previousDone ? pending.Interaction.AcceptedAt : previousDone;
                    await DelayUntilAsync(start + _options.BotReplyDelay + _faults.BotReplyDelay, ct);
                    await AnswerAsync(pending, ct);
                    previousDone = _options.Clock.GetUtcNow();
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
        var (interaction, plan, acknowledgement) = pending;
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
        var first = plan.Pattern switch
        {
            ReplyPattern.Deferred => EditResponse(interaction, acknowledgement!, answer.Content, answer.Files),
            ReplyPattern.FollowUp => PostFollowUp(interaction, acknowledgement!, answer.Content, answer.Files),
            _ => PostResponse(interaction, answer.Content, answer.Files, flags: 0),
        };
        if (first is not null && answer.Job is { } job)
            StartJob(new PendingJob(interaction, first.Id, job, plan.AsyncResult, _options.Clock.GetUtcNow() + _options.AsyncResultDelay + _faults.BotReplyDelay));
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
            bool tokenValid = _options.Clock.GetUtcNow() - interaction.AcceptedAt < InteractionTokenLifetime;
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

    private async Task DelayUntilAsync(DateTimeOffset due, CancellationToken ct)
    {
        var wait = due - _options.Clock.GetUtcNow();
        if (wait > TimeSpan.Zero) await Task.Delay(wait, _options.Clock, ct);
    }

    private void Track(Task task)
    {
        _running[task] = true;
        task.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
    }
}
