using System.Security.Cryptography;
using FaceSwap.Sandbox.Discord;
using FaceSwap.Sandbox.Rendering;

namespace FaceSwap.Sandbox.Bot;

/// <summary>What one command answers: the first reply's content and files, and for an asynchronous job what comes later.</summary>
public sealed record BotAnswer(string Content, IReadOnlyList<SandboxFile> Files, AsyncJob? Job = null);

/// <summary>
/// An asynchronous job (headshot, changebg, animated picsi): its result is rendered from <see cref="Subject"/> and
/// <see cref="Prompt"/>, or is <see cref="Finished"/> already (an animated target passed through).
/// </summary>
public sealed record AsyncJob(string Kind, string JobId, string? Prompt, byte[]? Subject, SandboxFile? Finished);

/// <summary>
/// The InsightFaceSwap bot's commands: what each answers and what it changes (saved ids, credits). How the answer
/// reaches the channel is <see cref="EmulatedBot"/>'s part.
/// </summary>
public sealed class InsightFaceSwapCommands(SandboxState state, IBotImageRenderer renderer, long maxPixels)
{
    /// <summary>
    /// The bot's first look at an image: too many pixels (read from the header, never decoded) or no face. Null when
    /// the image can go on.
    /// </summary>
    private async Task<BotAnswer?> RefuseImageAsync(byte[] image, CancellationToken ct)
    {
        if (MediaSniffer.IsOverPixelLimit(image, maxPixels)) return Text(BotTexts.ImageTooLarge(maxPixels));
        return await renderer.HasFaceAsync(image, ct) ? null : Text(BotTexts.NoFace);
    }

    public Task<BotAnswer> AnswerAsync(AcceptedInteraction interaction, CancellationToken ct) => interaction.Command.Name switch
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

    private async Task<BotAnswer> SaveIdAsync(AcceptedInteraction interaction, CancellationToken ct)
    {
        string name = interaction.Strings["idname"];
        var image = interaction.Files["image"];
        if (!SavedFaceIds.IsValidName(name)) return Text(BotTexts.InvalidIdName(name));
        var ids = interaction.Channel.SavedIds;
        if (ids.Face(name) is null && ids.Names.Count >= SavedFaceIds.MaxIds) return Text(BotTexts.IdLimitReached);
        if (await RefuseImageAsync(image.Bytes, ct) is { } refusedImage) return refusedImage;
        if (Charge(interaction, CreditPrices.SaveId) is { } refusal) return refusal;
        return ids.Save(name, image.Bytes) switch
        {
            SaveOutcome.Created => Text(BotTexts.IdCreated(name)),
            SaveOutcome.Updated => Text(BotTexts.IdUpdated(name)),
            _ => Text(BotTexts.IdLimitReached),
        };
    }

    private static BotAnswer SetId(AcceptedInteraction interaction)
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

    private static BotAnswer ListId(AcceptedInteraction interaction)
    {
        var ids = interaction.Channel.SavedIds;
        return Text(BotTexts.IdList(ids.Names, ids.Defaults, ids.PreferOption));
    }

    private static BotAnswer DelId(AcceptedInteraction interaction)
    {
        string name = interaction.Strings["idname"];
        return interaction.Channel.SavedIds.Delete(name) ? Text(BotTexts.IdDeleted(name)) : Text(BotTexts.IdNotFound(name));
    }

    private static BotAnswer DelAll(AcceptedInteraction interaction)
    {
        interaction.Channel.SavedIds.DeleteAll();
        return Text(BotTexts.AllIdsDeleted);
    }

    private async Task<BotAnswer> SwapIdAsync(AcceptedInteraction interaction, CancellationToken ct)
    {
        // "me,him --oldify 200": the names come first; options after a space are accepted and ignored.
        string names = interaction.Strings["idname"].Trim().Split(' ', 2)[0];
        var slots = names.Split(',');
        return await SwapOntoAsync(interaction, names, slots, interaction.Files["image"].Bytes, CreditPrices.SwapId, ct);
    }

    private async Task<BotAnswer> InSwapperAsync(AcceptedInteraction interaction, CancellationToken ct)
    {
        var target = interaction.Target?.Attachments.FirstOrDefault(a => a.ContentType.StartsWith("image/", StringComparison.Ordinal));
        if (target is null) return Text(BotTexts.TargetHasNoImage);
        var defaults = interaction.Channel.SavedIds.Defaults;
        if (defaults.Count == 0) return Text(BotTexts.NoDefaultId);
        return await SwapOntoAsync(interaction, string.Join(",", defaults), defaults, target.Bytes, CreditPrices.INSwapper, ct);
    }

    private async Task<BotAnswer> SwapOntoAsync(AcceptedInteraction interaction, string names, IReadOnlyList<string> slots, byte[] target, int cost,
        CancellationToken ct)
    {
        var ids = interaction.Channel.SavedIds;
        if (ids.Unknown(slots) is [var missing, ..]) return Text(BotTexts.IdNotFound(missing));
        if (await RefuseImageAsync(target, ct) is { } refusedTarget) return refusedTarget;
        if (Charge(interaction, cost) is { } refusal) return refusal;
        var result = await renderer.RenderSwapAsync(ids.FirstFace(slots), target, ct);
        var (left, total) = Credits(interaction);
        return new BotAnswer(BotTexts.SwapResult(interaction.User.UserId, names, left, total), [ResultFile(result, "INSwapper")]);
    }

    private async Task<BotAnswer> PicsiAsync(AcceptedInteraction interaction, CancellationToken ct)
    {
        var source = interaction.Files["source"];
        var target = interaction.Files["target"];
        string type = MediaSniffer.Describe(target.Bytes, target.Filename).ContentType;
        if (await RefuseImageAsync(source.Bytes, ct) is { } refusedSource) return refusedSource;

        if (MediaSniffer.IsAnimated(type))
        {
            if (Charge(interaction, CreditPrices.PicsiAnimated) is { } refusal) return refusal;
            string kind = MediaSniffer.IsVideo(type) ? "Video" : "GIF";
            // The sandbox cannot re-render animation; the result is the target itself, under a result name.
            var file = new SandboxFile($"Picsi.Ai_{kind}{Path.GetExtension(target.Filename)}", target.Bytes);
            return Submitted(interaction, kind, CreditPrices.PicsiAnimated, prompt: null, subject: null, file);
        }

        if (await RefuseImageAsync(target.Bytes, ct) is { } refusedStill) return refusedStill;
        if (Charge(interaction, CreditPrices.PicsiImage) is { } refusedImage) return refusedImage;
        var result = await renderer.RenderSwapAsync(source.Bytes, target.Bytes, ct);
        var (left, total) = Credits(interaction);
        return new BotAnswer(BotTexts.PicsiResult(interaction.User.UserId, left, total), [ResultFile(result, "Picsi.Ai")]);
    }

    private async Task<BotAnswer> ChangeBgAsync(AcceptedInteraction interaction, CancellationToken ct)
    {
        var image = interaction.Files["image"];
        string prompt = interaction.Strings["a_background_photo_of"];
        if (await RefuseImageAsync(image.Bytes, ct) is { } refusedImage) return refusedImage;
        if (Charge(interaction, CreditPrices.ChangeBg) is { } refusal) return refusal;
        return Submitted(interaction, "ChangeBG", CreditPrices.ChangeBg, prompt, image.Bytes, finished: null);
    }

    private BotAnswer Headshot(AcceptedInteraction interaction)
    {
        string prompt = interaction.Strings["prompt"];
        var ids = interaction.Channel.SavedIds;
        var face = ids.FirstFace(ids.Defaults);
        if (face is null) return Text(BotTexts.NoDefaultId);
        if (Charge(interaction, CreditPrices.Headshot) is { } refusal) return refusal;
        return Submitted(interaction, "Headshot", CreditPrices.Headshot, prompt, face, finished: null);
    }

    private BotAnswer Submitted(AcceptedInteraction interaction, string kind, int cost, string? prompt, byte[]? subject, SandboxFile? finished)
    {
        string jobId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var (left, total) = Credits(interaction);
        return new BotAnswer(BotTexts.JobSubmitted(interaction.User.UserId, kind, jobId, cost, prompt, left, total), [],
            new AsyncJob(kind, jobId, prompt, subject, finished));
    }

    /// <summary>Makes an asynchronous job's result file: a prompt picture, or the finished file it already holds.</summary>
    public async Task<SandboxFile> RenderAsync(AsyncJob job, CancellationToken ct) =>
        job.Finished ?? ResultFile(await renderer.RenderPromptAsync(job.Subject, job.Prompt ?? "", ct), $"Picsi.Ai_{job.Kind}");

    /// <summary>Charges the command; when the day's credits do not cover it, the refusal to send instead.</summary>
    private BotAnswer? Charge(AcceptedInteraction interaction, int cost)
    {
        var (charged, left) = state.Credits.TryCharge(interaction.User.UserId, cost);
        return charged ? null : Text(BotTexts.CreditsExhausted(interaction.User.UserId, cost, left, state.Credits.Total));
    }

    private (int Left, int Total) Credits(AcceptedInteraction interaction) =>
        (state.Credits.Left(interaction.User.UserId), state.Credits.Total);

    private static SandboxFile ResultFile(RenderedImage image, string stem) => new($"{stem}.{image.FileExtension}", image.Bytes);

    private static BotAnswer Text(string content) => new(content, []);
}
