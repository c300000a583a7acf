using System.Security.Cryptography;
using FaceSwap.Core.Jobs;

namespace FaceSwap.Discord.Protocol;

/// <summary>One option of a slash command: a string value, or a job input file sent as an attachment.</summary>
public sealed record CommandOption(string Name, string? Value = null, string? InputFile = null)
{
    public bool IsAttachment => InputFile is not null;
}

public enum StepRole
{
    /// <summary>The step whose reply decides the job.</summary>
    Main,
    /// <summary>Must succeed before the main step (swap's saveid of a one-off idname).</summary>
    Setup,
    /// <summary>Runs after the job is decided; its failure does not change the job (swap's delid).</summary>
    Cleanup,
}

/// <summary>One interaction the engine sends: a slash command, or INSwapper on a message (target id).</summary>
public sealed record CommandStep(
    string Command,
    StepRole Role,
    IReadOnlyList<CommandOption> Options,
    string? TargetMessageId = null,
    IReadOnlyList<string>? TextTokens = null)
{
    public bool IsMessageCommand => TargetMessageId is not null;
    /// <summary>Whether the reply is expected to carry result files (else it is a text answer).</summary>
    public bool ExpectsFiles => Command is "swapid" or "INSwapper" or "picsi" or "changebg" or "headshot";
    /// <summary>
    /// Whether the bot may answer with "Job Submitted" and deliver later (headshot, changebg, picsi with a GIF
    /// or video target): such a job is reported started only with that first answer, as the vendor's API shows it.
    /// </summary>
    public bool MayRunAsync => Command is "picsi" or "changebg" or "headshot";
}

/// <summary>How each API verb maps onto the bot's commands.</summary>
public static class CommandPlan
{
    public static IReadOnlyList<CommandStep> For(Job job, string? oneOffIdname, string? previousDefaults = null)
    {
        string Field(string name) => job.Field(name) ?? "";

        return job.Verb switch
        {
            Verb.ListId => [new("listid", StepRole.Main, [])],
            Verb.DelAll => [new("delall", StepRole.Main, [])],
            Verb.SetId => [new("setid", StepRole.Main, [new("idname", Field("idname"))])],
            Verb.DelId => [new("delid", StepRole.Main, [new("idname", Field("idname"))],
                TextTokens: [$"idname {Field("idname")} deleted"])],
            Verb.SaveId => [new("saveid", StepRole.Main, [new("idname", Field("idname")), new("image", InputFile: "image")],
                TextTokens: [$"idname {Field("idname")} created", $"idname {Field("idname")} updated"])],
            Verb.SwapId => [new("swapid", StepRole.Main, [new("idname", Field("idname")), new("image", InputFile: "image")])],
            Verb.Swap => SwapSteps(oneOffIdname ?? throw new InvalidOperationException("swap needs a one-off idname"), previousDefaults),
            Verb.InSwapper => [new("INSwapper", StepRole.Main, [], TargetMessageId: Field("targetMessageId"))],
            Verb.Picsi => [new("picsi", StepRole.Main, WithOptional(
                [new("source", InputFile: "source_image"), new("target", InputFile: "target_image_gif_or_video")],
                "options", job.Field("options")))],
            Verb.ChangeBg => [new("changebg", StepRole.Main, WithOptional(
                [new("image", InputFile: "image"), new("a_background_photo_of", Field("a_background_photo_of"))],
                "options", job.Field("options")))],
            Verb.Headshot => [new("headshot", StepRole.Main, WithOptional(
                [new("prompt", Field("prompt"))], "options", job.Field("options")))],
            _ => throw new NotSupportedException($"verb {job.Verb} has no Discord command"),
        };
    }

    /// <summary>
    /// The API's swap has no bot command: save the source face under a one-off idname, swap with it,
    /// then delete it again (the bot keeps at most 20 ids per user). The one-off name also makes the
    /// result self-identifying: <c>[SaveID: '&lt;name&gt;']</c>. The bot makes a saved id the channel's
    /// default, and deleting it leaves no default, so swap first reads the defaults (listid) and sets
    /// them back at the end (setid): the channel's default is what it was before the call.
    /// <paramref name="previousDefaults"/> is null until listid answered, "" when there was none.
    /// </summary>
    private static IReadOnlyList<CommandStep> SwapSteps(string idname, string? previousDefaults)
    {
        List<CommandStep> steps =
        [
            new("listid", StepRole.Setup, []),
            new("saveid", StepRole.Setup, [new("idname", idname), new("image", InputFile: "saveid_image")],
                TextTokens: [$"idname {idname} created", $"idname {idname} updated"]),
            new("swapid", StepRole.Main, [new("idname", idname), new("image", InputFile: "swapid_image")],
                TextTokens: [$"[SaveID: '{idname}']"]),
            new("delid", StepRole.Cleanup, [new("idname", idname)], TextTokens: [$"idname {idname} deleted"]),
        ];
        if (!string.IsNullOrEmpty(previousDefaults))
        {
            steps.Add(new("setid", StepRole.Cleanup, [new("idname", previousDefaults)]));
        }
        return steps;
    }

    private static IReadOnlyList<CommandOption> WithOptional(CommandOption[] required, string name, string? value) =>
        string.IsNullOrWhiteSpace(value) ? required : [.. required, new CommandOption(name, value)];

    /// <summary>A name the bot accepts (alphanumeric, at most 10 characters) that no person would pick.</summary>
    public static string NewOneOffIdname() =>
        "fs" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
}
