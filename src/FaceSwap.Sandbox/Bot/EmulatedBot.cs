using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Threading.Channels;
using FaceSwap.Sandbox.Discord;
using FaceSwap.Sandbox.Rendering;

namespace FaceSwap.Sandbox.Bot;

/// <summary>
/// The InsightFaceSwap bot. It works through each channel's interactions one at a time, in arrival order, as the
/// real bot queues them; an asynchronous job's result comes later on its own, without holding up the queue.
/// </summary>
public sealed class EmulatedBot : IAsyncDisposable
{
    /// <summary>What one command answers: the first reply, and for an asynchronous job what comes later.</summary>
    private sealed record Answer(string Content, IReadOnlyList<SandboxFile> Files, AsyncJob? Job = null);

    private sealed record AsyncJob(string Kind, string JobId, Func<CancellationToken, Task<SandboxFile>> Render);

    private readonly SandboxState _state;
    private readonly SandboxFaults _faults;
    private readonly SandboxOptions _options;
    private readonly IBotImageRenderer _renderer;
    private readonly ConcurrentDictionary<string, Channel<AcceptedInteraction>> _queues = new();
    private readonly ConcurrentDictionary<Task, bool> _running = new();
    private readonly ConcurrentDictionary<ulong, ulong> _deferred = new(); // interaction id → its loading message
    private readonly CancellationTokenSource _stopping = new();

    public EmulatedBot(SandboxState state, SandboxFaults faults, SandboxOptions options, IBotImageRenderer renderer)
    {
        _state = state;
        _faults = faults;
        _options = options;
        _renderer = renderer;
    }

    public void Enqueue(AcceptedInteraction interaction)
    {
        // A deferring bot acknowledges at once, before the queue reaches the interaction.
        if (_options.DeferReplies)
            _deferred[interaction.Id] = PostFirst(interaction, "", [], MessageFlags.Loading).Id;

        var queue = _queues.GetOrAdd(interaction.Channel.Id, _ =>
        {
            var created = Channel.CreateUnbounded<AcceptedInteraction>(new UnboundedChannelOptions { SingleReader = true });
            Track(Task.Run(() => WorkAsync(created.Reader)));
            return created;
        });
        queue.Writer.TryWrite(interaction);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var queue in _queues.Values) queue.Writer.TryComplete();
        await _stopping.CancelAsync();
        try { await Task.WhenAll(_running.Keys).WaitAsync(TimeSpan.FromSeconds(5)); }
        catch (Exception) { /* stopping: cancellations and late failures no longer matter */ }
        _stopping.Dispose();
    }

    private async Task WorkAsync(ChannelReader<AcceptedInteraction> reader)
    {
        var ct = _stopping.Token;
        try
        {
            await foreach (var interaction in reader.ReadAllAsync(ct))
            {
                try { await HandleAsync(interaction, ct); }
                catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
                catch (Exception error)
                {
                    // A bot bug must not stop the channel's queue; the engine sees it as a missing reply.
                    Console.Error.WriteLine($"sandbox bot: {interaction.Command.Name} failed: {error}");
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task HandleAsync(AcceptedInteraction interaction, CancellationToken ct)
    {
        await Task.Delay(_options.BotReplyDelay + _faults.BotReplyDelay, _options.Clock, ct);
        string userId = interaction.User.UserId;

        var fault = _faults.TakeBotFault();
        var answer = fault switch
        {
            BotFault.MissingReply => null,
            BotFault.Moderated => new Answer(BotTexts.Moderated(userId), []),
            BotFault.DidNotRespond => new Answer(BotTexts.ApplicationDidNotRespond, []),
            _ => await AnswerAsync(interaction, ct),
        };
        if (answer is null)
        {
            // A deferred reply that is never filled in stays "thinking", as at Discord.
            _deferred.TryRemove(interaction.Id, out _);
            return;
        }

        var first = Reply(interaction, answer.Content, answer.Files);
        if (answer.Job is { } job) Track(Task.Run(() => FinishJobAsync(interaction, first, job, _stopping.Token)));
    }

    private ChannelMessage Reply(AcceptedInteraction interaction, string content, IReadOnlyList<SandboxFile> files)
    {
        if (_deferred.TryRemove(interaction.Id, out ulong loadingId)
            && _state.Edit(interaction.Channel, loadingId, content, files, message => message with { Flags = 0 }) is { } edited)
            return edited;
        return PostFirst(interaction, content, files, flags: 0);
    }

    private ChannelMessage PostFirst(AcceptedInteraction interaction, string content, IReadOnlyList<SandboxFile> files, int flags)
    {
        bool contextMenu = interaction.Command.Type == CommandTypes.Message;
        var metadata = new InteractionMetadata(interaction.Id, 2, interaction.User.AsAuthor, interaction.Command.Name,
            interaction.Target?.Id);
        return _state.Post(interaction.Channel, _state.BotUser, content, files, message => message with
        {
            Type = contextMenu ? MessageTypes.ContextMenuCommand : MessageTypes.ChatInputCommand,
            Nonce = interaction.Nonce,
            Interaction = metadata,
            ApplicationId = _options.BotApplicationId,
            Flags = flags,
        });
    }

    private async Task FinishJobAsync(AcceptedInteraction interaction, ChannelMessage first, AsyncJob job, CancellationToken ct)
    {
        try
        {
            await Task.Delay(_options.AsyncResultDelay + _faults.BotReplyDelay, _options.Clock, ct);
            var file = await job.Render(ct);
            var channel = interaction.Channel;
            _state.Post(channel, _state.BotUser, BotTexts.JobCompleted(interaction.User.UserId, job.Kind, job.JobId), [file],
                message => message with
                {
                    Type = MessageTypes.Reply,
                    Reference = new MessageReference(first.Id, channel.Id, channel.GuildId),
                    ApplicationId = _options.BotApplicationId,
                });
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (Exception error)
        {
            Console.Error.WriteLine($"sandbox bot: {job.Kind} job {job.JobId} failed: {error}");
        }
    }

    private Task<Answer> AnswerAsync(AcceptedInteraction interaction, CancellationToken ct) => interaction.Command.Name switch
    {
        "saveid" => SaveIdAsync(interaction, ct),
        "setid" => Task.FromResult(SetId(interaction)),
        "listid" => Task.FromResult(ListId(interaction)),
        "delid" => Task.FromResult(DelId(interaction)),
        "delall" => Task.FromResult(DelAll(interaction)),
        "swapid" => SwapIdAsync(interaction, ct),
        "INSwapper" => InSwapperAsync(interaction, ct),
        "picsi" => PicsiAsync(interaction, ct),
        "changebg" => ChangeBgAsync(interaction, ct),
        "headshot" => Task.FromResult(Headshot(interaction)),
        _ => throw new InvalidOperationException($"no behaviour for command {interaction.Command.Name}"),
    };

    private async Task<Answer> SaveIdAsync(AcceptedInteraction interaction, CancellationToken ct)
    {
        string name = interaction.Strings["idname"];
        var image = interaction.Files["image"];
        if (!SavedFaceIds.IsValidName(name)) return Text(BotTexts.InvalidIdName(name));
        var ids = interaction.Channel.SavedIds;
        if (ids.Face(name) is null && ids.Names.Count >= SavedFaceIds.MaxIds) return Text(BotTexts.IdLimitReached);
        if (!await _renderer.HasFaceAsync(image.Bytes, ct)) return Text(BotTexts.NoFace);
        if (Charge(interaction, CreditPrices.SaveId) is { } refusal) return refusal;
        return ids.Save(name, image.Bytes) switch
        {
            SaveOutcome.Created => Text(BotTexts.IdCreated(name)),
            SaveOutcome.Updated => Text(BotTexts.IdUpdated(name)),
            _ => Text(BotTexts.IdLimitReached),
        };
    }

    private static Answer SetId(AcceptedInteraction interaction)
    {
        string value = interaction.Strings["idname"].Trim();
        var ids = interaction.Channel.SavedIds;
        if (value is "--greedy" or "--nogreedy")
        {
            ids.SetPreferOption(value);
            return Text(BotTexts.PreferSet(value));
        }
        if (value.Contains("--", StringComparison.Ordinal)) return Text(BotTexts.IdsAndOptionsTogether);
        if (value.Length == 0 || value.Contains(' ')) return Text(BotTexts.InvalidIdList(value));
        var slots = value.Split(',');
        if (slots.Any(s => s.Length == 0 || s.Split('+').Length > 3 || s.Split('+').Any(n => n != SavedFaceIds.NoReplacement && !SavedFaceIds.IsValidName(n))))
            return Text(BotTexts.InvalidIdList(value));
        if (ids.Unknown(slots) is [var missing, ..]) return Text(BotTexts.IdNotFound(missing));
        ids.SetDefaults(slots);
        return Text(BotTexts.DefaultsSet(value));
    }

    private static Answer ListId(AcceptedInteraction interaction)
    {
        var ids = interaction.Channel.SavedIds;
        return Text(BotTexts.IdList(ids.Names, ids.Defaults, ids.PreferOption));
    }

    private static Answer DelId(AcceptedInteraction interaction)
    {
        string name = interaction.Strings["idname"];
        return interaction.Channel.SavedIds.Delete(name) ? Text(BotTexts.IdDeleted(name)) : Text(BotTexts.IdNotFound(name));
    }

    private static Answer DelAll(AcceptedInteraction interaction)
    {
        interaction.Channel.SavedIds.DeleteAll();
        return Text(BotTexts.AllIdsDeleted);
    }

    private async Task<Answer> SwapIdAsync(AcceptedInteraction interaction, CancellationToken ct)
    {
        // "me,him --oldify 200": the names come first; options after a space are accepted and ignored.
        string names = interaction.Strings["idname"].Trim().Split(' ', 2)[0];
        var slots = names.Split(',');
        return await SwapOntoAsync(interaction, names, slots, interaction.Files["image"].Bytes, CreditPrices.SwapId, ct);
    }

    private async Task<Answer> InSwapperAsync(AcceptedInteraction interaction, CancellationToken ct)
    {
        var target = interaction.Target!.Attachments.FirstOrDefault(a => a.ContentType.StartsWith("image/", StringComparison.Ordinal));
        if (target is null) return Text(BotTexts.TargetHasNoImage);
        var defaults = interaction.Channel.SavedIds.Defaults;
        if (defaults.Count == 0) return Text(BotTexts.NoDefaultId);
        return await SwapOntoAsync(interaction, string.Join(",", defaults), defaults, target.Bytes, CreditPrices.INSwapper, ct);
    }

    private async Task<Answer> SwapOntoAsync(AcceptedInteraction interaction, string names, IReadOnlyList<string> slots, byte[] target, int cost,
        CancellationToken ct)
    {
        var ids = interaction.Channel.SavedIds;
        if (ids.Unknown(slots) is [var missing, ..]) return Text(BotTexts.IdNotFound(missing));
        if (!await _renderer.HasFaceAsync(target, ct)) return Text(BotTexts.NoFace);
        if (Charge(interaction, cost) is { } refusal) return refusal;
        var result = await _renderer.RenderSwapAsync(ids.FirstFace(slots), target, ct);
        var (left, total) = Credits(interaction);
        return new Answer(BotTexts.SwapResult(interaction.User.UserId, names, left, total), [ResultFile(result, "INSwapper")]);
    }

    private async Task<Answer> PicsiAsync(AcceptedInteraction interaction, CancellationToken ct)
    {
        var source = interaction.Files["source"];
        var target = interaction.Files["target"];
        string type = MediaSniffer.Describe(target.Bytes, target.Filename).ContentType;
        if (!await _renderer.HasFaceAsync(source.Bytes, ct)) return Text(BotTexts.NoFace);

        if (MediaSniffer.IsAnimated(type))
        {
            if (Charge(interaction, CreditPrices.PicsiAnimated) is { } refusal) return refusal;
            string kind = MediaSniffer.IsVideo(type) ? "Video" : "GIF";
            // The sandbox cannot re-render animation; the result is the target itself, under a result name.
            var file = new SandboxFile($"Picsi.Ai_{kind}{Path.GetExtension(target.Filename)}", target.Bytes);
            return Submitted(interaction, kind, CreditPrices.PicsiAnimated, prompt: null, _ => Task.FromResult(file));
        }

        if (!await _renderer.HasFaceAsync(target.Bytes, ct)) return Text(BotTexts.NoFace);
        if (Charge(interaction, CreditPrices.PicsiImage) is { } refusedImage) return refusedImage;
        var result = await _renderer.RenderSwapAsync(source.Bytes, target.Bytes, ct);
        var (left, total) = Credits(interaction);
        return new Answer(BotTexts.PicsiResult(interaction.User.UserId, left, total), [ResultFile(result, "Picsi.Ai")]);
    }

    private async Task<Answer> ChangeBgAsync(AcceptedInteraction interaction, CancellationToken ct)
    {
        var image = interaction.Files["image"];
        string prompt = interaction.Strings["a_background_photo_of"];
        if (!await _renderer.HasFaceAsync(image.Bytes, ct)) return Text(BotTexts.NoFace);
        if (Charge(interaction, CreditPrices.ChangeBg) is { } refusal) return refusal;
        return Submitted(interaction, "ChangeBG", CreditPrices.ChangeBg, prompt,
            async token => ResultFile(await _renderer.RenderPromptAsync(image.Bytes, prompt, token), "Picsi.Ai_ChangeBG"));
    }

    private Answer Headshot(AcceptedInteraction interaction)
    {
        string prompt = interaction.Strings["prompt"];
        var ids = interaction.Channel.SavedIds;
        var face = ids.FirstFace(ids.Defaults);
        if (face is null) return Text(BotTexts.NoDefaultId);
        if (Charge(interaction, CreditPrices.Headshot) is { } refusal) return refusal;
        return Submitted(interaction, "Headshot", CreditPrices.Headshot, prompt,
            async token => ResultFile(await _renderer.RenderPromptAsync(face, prompt, token), "Picsi.Ai_Headshot"));
    }

    private Answer Submitted(AcceptedInteraction interaction, string kind, int cost, string? prompt, Func<CancellationToken, Task<SandboxFile>> render)
    {
        string jobId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var (left, total) = Credits(interaction);
        return new Answer(BotTexts.JobSubmitted(interaction.User.UserId, kind, jobId, cost, prompt, left, total), [],
            new AsyncJob(kind, jobId, render));
    }

    /// <summary>Charges the command; when the day's credits do not cover it, the refusal to send instead.</summary>
    private Answer? Charge(AcceptedInteraction interaction, int cost)
    {
        var (charged, left) = _state.Credits.TryCharge(interaction.User.UserId, cost);
        return charged ? null : Text(BotTexts.CreditsExhausted(interaction.User.UserId, cost, left, _state.Credits.Total));
    }

    private (int Left, int Total) Credits(AcceptedInteraction interaction) =>
        (_state.Credits.Left(interaction.User.UserId), _state.Credits.Total);

    private static SandboxFile ResultFile(RenderedImage image, string stem) => new($"{stem}.{image.FileExtension}", image.Bytes);

    private static Answer Text(string content) => new(content, []);

    private void Track(Task task)
    {
        _running[task] = true;
        task.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
    }
}
