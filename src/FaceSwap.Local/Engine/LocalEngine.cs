using System.Security.Cryptography;
using System.Text;
using FaceSwap.Core.Accounts;
using FaceSwap.Core.Engines;
using FaceSwap.Core.Jobs;

namespace FaceSwap.Local;

/// <summary>
/// Runs the InsightFaceSwap commands on this server's CPU (GPU optional) and answers with text like the
/// bot's (<c>idname me created</c>, <c>[SaveID: 'me']</c>), so clients and matchers see the same shapes.
/// A restarted run repeats the command from its stored inputs under the same message id.
/// </summary>
public sealed class LocalEngine(LocalFaceSwapper swapper, ISavedFaceStore store, ILocalResultLookup results) : IEngine
{
    public string Name => EngineNames.Local;

    /// <summary>Everything but changebg and headshot, which need a generative model this engine does not have.</summary>
    public IReadOnlySet<Verb> SupportedVerbs { get; } = VerbNames.All.Except([Verb.ChangeBg, Verb.Headshot]).ToHashSet();

    public async Task RunAsync(IJobExecution execution, CancellationToken cancellationToken)
    {
        var job = execution.Job;
        var messageId = job.EngineState is { Length: > 0 } saved ? saved : NewMessageId();
        if (job.EngineState != messageId) await execution.SaveEngineStateAsync(messageId, cancellationToken);
        if (job.Status == JobStatus.Created)
            await execution.ReportAsync(JobStatus.Started, new UpstreamMessage(messageId, null, Timestamp()), cancellationToken);
        try
        {
            var (content, files) = await RunVerbAsync(execution, messageId, cancellationToken);
            await execution.CompleteAsync(new UpstreamMessage(messageId, content, Timestamp()), files, cancellationToken);
        }
        catch (FaceSwapException e)
        {
            await execution.FailAsync(e.Message, e.Details, new UpstreamMessage(messageId, e.Details, Timestamp()), moderated: false, cancellationToken);
        }
    }

    private async Task<(string Content, IReadOnlyList<ResultFile> Files)> RunVerbAsync(IJobExecution x, string messageId, CancellationToken ct)
    {
        var job = x.Job;
        long user = job.UserId;
        var channel = job.Channel;
        switch (job.Verb)
        {
            case Verb.SaveId:
            {
                var name = RequireField(job, "idname").Trim();
                if (!IdSelection.IsValidName(name))
                    throw new FaceSwapException(FaceSwapError.InvalidRequest, "Invalid idname", $"'{name}' is not an idname: use 1–{IdSelection.MaxNameLength} letters or digits.");
                var existing = await store.ListAsync(user, channel, ct);
                var isNew = !existing.Contains(name, StringComparer.OrdinalIgnoreCase);
                if (isNew && existing.Count >= swapper.Options.MaxSavedIds)
                    throw new FaceSwapException(FaceSwapError.InvalidRequest, "Too many saved ids",
                        $"This channel already has {existing.Count} saved ids, the most allowed is {swapper.Options.MaxSavedIds}. Delete one with delid first.");
                var image = await x.ReadInputAsync("image", ct);
                var face = (await swapper.CaptureAsync(image.Content, "image", ct)).WithName(name);
                var created = await store.PutAsync(user, channel, face, ct);
                // As with the bot, a newly saved id becomes the default (INSwapper uses it at once).
                var defaults = await store.GetDefaultsAsync(user, channel, ct);
                await store.SetDefaultsAsync(user, channel, defaults with { Selection = name }, ct);
                return ($"idname {name} {(created ? "created" : "updated")}", []);
            }
            case Verb.SetId:
            {
                var text = RequireField(job, "idname").Trim();
                var defaults = await store.GetDefaultsAsync(user, channel, ct);
                if (text is "--greedy" or "--nogreedy")
                {
                    await store.SetDefaultsAsync(user, channel, defaults with { Greedy = text == "--greedy" }, ct);
                    return (text == "--greedy"
                        ? "Greedy mode on: one id swaps every face in the image"
                        : "Greedy mode off: one id swaps the most prominent face", []);
                }
                var selection = IdSelection.Parse(text);
                await ResolveAsync(user, channel, selection, ct);
                await store.SetDefaultsAsync(user, channel, defaults with { Selection = selection.Text }, ct);
                return ($"Current default ID(s) set to `{selection.Text}`", []);
            }
            case Verb.ListId:
            {
                var names = await store.ListAsync(user, channel, ct);
                var defaults = await store.GetDefaultsAsync(user, channel, ct);
                var text = new StringBuilder();
                text.Append(names.Count == 0 ? "No idnames saved" : $"Saved idnames ({names.Count}/{swapper.Options.MaxSavedIds}): {string.Join(", ", names)}");
                text.Append($"\nCurrent default ID(s): `{defaults.Selection ?? "none"}`, greedy: {(defaults.Greedy ? "on" : "off")}");
                return (text.ToString(), []);
            }
            case Verb.DelId:
            {
                var name = RequireField(job, "idname").Trim();
                if (!await store.DeleteAsync(user, channel, name, ct))
                    throw new FaceSwapException(FaceSwapError.UnknownId, "Unknown idname", $"There is no saved idname '{name}' in this channel.");
                return ($"idname {name} deleted", []);
            }
            case Verb.DelAll:
                await store.DeleteAllAsync(user, channel, ct);
                await store.SetDefaultsAsync(user, channel, new FaceDefaults(null, false), ct);
                return ("All idnames deleted", []);
            case Verb.SwapId:
            {
                var text = RequireField(job, "idname").Trim();
                var oldify = text.IndexOf("--oldify", StringComparison.OrdinalIgnoreCase);
                if (oldify >= 0)
                    throw new FaceSwapException(FaceSwapError.Unsupported, "--oldify is not supported locally",
                        "The local engine cannot age faces (--oldify needs a generative model). Send the command without --oldify, or use a Discord channel.");
                var defaults = await store.GetDefaultsAsync(user, channel, ct);
                var selection = IdSelection.Parse(text);
                var faces = await ResolveAsync(user, channel, selection, ct);
                var image = await x.ReadInputAsync("image", ct);
                var result = await swapper.SwapIntoAsync(image.Content, faces, defaults.Greedy, "image", ct);
                return ($"[SaveID: '{selection.Text}'] face swapped by the local engine ({swapper.Capabilities.Tier})", [ToFile(result, messageId)]);
            }
            case Verb.Swap:
            {
                var name = job.Field("saveid_idname") is { Length: > 0 } n ? n.Trim() : "id";
                var source = await x.ReadInputAsync("saveid_image", ct);
                var target = await x.ReadInputAsync("swapid_image", ct);
                var face = (await swapper.CaptureAsync(source.Content, "saveid_image", ct)).WithName(name);
                var result = await swapper.SwapIntoAsync(target.Content, [face], greedy: false, "swapid_image", ct);
                return ($"[SaveID: '{name}'] face swapped by the local engine ({swapper.Capabilities.Tier})", [ToFile(result, messageId)]);
            }
            case Verb.Picsi:
            {
                var source = await x.ReadInputAsync("source_image", ct);
                var target = await x.ReadInputAsync("target_image_gif_or_video", ct);
                if (ImageHeader.TryRead(target.Content) is null && target.ContentType.StartsWith("video/", StringComparison.OrdinalIgnoreCase))
                    throw new FaceSwapException(FaceSwapError.Unsupported, "Video targets are not supported locally",
                        "The local engine swaps faces in images and GIFs; convert the video to a GIF (at most 75 frames, 10 MB) or use a Discord channel.");
                var face = await swapper.CaptureAsync(source.Content, "source_image", ct);
                var result = await swapper.SwapIntoAsync(target.Content, [face], greedy: false, "target_image_gif_or_video", ct);
                return ($"[Picsi] face swapped by the local engine ({swapper.Capabilities.Tier})", [ToFile(result, messageId)]);
            }
            case Verb.InSwapper:
            {
                var targetId = RequireField(job, "targetMessageId").Trim();
                var bytes = await results.FindResultAsync(user, channel, targetId, ct)
                            ?? throw new FaceSwapException(FaceSwapError.InvalidRequest, "Unknown targetMessageId",
                                $"No result image with message id {targetId} was found in this channel.");
                var defaults = await store.GetDefaultsAsync(user, channel, ct);
                if (defaults.Selection is null)
                    throw new FaceSwapException(FaceSwapError.InvalidRequest, "No default id set",
                        "INSwapper swaps the faces of an earlier result with your default ids: set them with setid first.");
                var selection = IdSelection.Parse(defaults.Selection);
                var faces = await ResolveAsync(user, channel, selection, ct);
                var result = await swapper.SwapIntoAsync(bytes, faces, defaults.Greedy, "target message's image", ct);
                return ($"[SaveID: '{selection.Text}'] INSwapper by the local engine ({swapper.Capabilities.Tier})", [ToFile(result, messageId)]);
            }
            case Verb.ChangeBg:
            case Verb.Headshot:
                throw new FaceSwapException(FaceSwapError.Unsupported, $"{job.Verb.ToWire()} is not available on a local channel",
                    $"{job.Verb.ToWire()} needs a generative image model, which the local engine does not have. Use a Discord channel for it.");
            default:
                throw new FaceSwapException(FaceSwapError.Unsupported, "Unsupported command", $"The local engine does not run {job.Verb.ToWire()}.");
        }
    }

    private async Task<IReadOnlyList<SavedFace?>> ResolveAsync(long user, string channel, IdSelection selection, CancellationToken ct)
    {
        var faces = new List<SavedFace?>();
        foreach (var group in selection.Faces)
        {
            if (group is null) { faces.Add(null); continue; }
            var members = new List<SavedFace>();
            foreach (var name in group)
                members.Add(await store.GetAsync(user, channel, name, ct)
                            ?? throw new FaceSwapException(FaceSwapError.UnknownId, "Unknown idname",
                                $"There is no saved idname '{name}' in this channel. Save it first with saveid."));
            faces.Add(members.Count == 1 ? members[0] : swapper.Pipeline.Mix(members));
        }
        return faces;
    }

    private static string RequireField(Job job, string name) => job.Field(name) is { Length: > 0 } v && v.Trim().Length > 0
        ? v
        : throw new FaceSwapException(FaceSwapError.InvalidRequest, $"Required param {name} is missing or empty");

    private static ResultFile ToFile(EncodedImage image, string messageId) =>
        new($"faceswap_{messageId}.{image.Extension}", image.ContentType, image.Content, image.Width, image.Height, messageId);

    /// <summary>A Discord-style snowflake: milliseconds since 2015 in the high bits, 22 random bits below.</summary>
    internal static string NewMessageId()
    {
        var ms = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1_420_070_400_000L;
        return ((ms << 22) | (long)RandomNumberGenerator.GetInt32(1 << 22)).ToString();
    }

    private static string Timestamp() => DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'");
}
