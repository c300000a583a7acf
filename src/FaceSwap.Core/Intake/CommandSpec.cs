using System.Text.RegularExpressions;
using FaceSwap.Core.Jobs;

namespace FaceSwap.Core.Intake;

/// <summary>How a command picks its channel when the request names none (spec section 3).</summary>
public enum ChannelRule
{
    /// <summary>Rule (a): optional with one account, otherwise required.</summary>
    SingleOrRequired,
    /// <summary>Rule (b): optional; a configured channel with credits left is picked at random.</summary>
    AnyWithCredits,
}

public enum UploadKind
{
    Image,
    /// <summary>picsi's target: a still image, or a GIF or video that makes the job async.</summary>
    ImageGifOrVideo,
}

public enum IdnameSyntax
{
    /// <summary>One saved id: letters and digits, 1–10 characters.</summary>
    Single,
    /// <summary>Faces in order: <c>a,b</c>, <c>_</c> to skip a face, <c>a+b</c> to mix; then optional <c>--oldify N</c>.</summary>
    SwapId,
    /// <summary>Faces as for swapid, or a prefer option <c>--greedy</c>/<c>--nogreedy</c>.</summary>
    SetId,
}

/// <summary>One command of the API: its route, its fields in the order they are checked, and its rules.</summary>
public sealed record CommandSpec(
    Verb Verb,
    string Method,
    string Route,
    string[] Required,
    string[] Optional,
    Dictionary<string, UploadKind> Uploads,
    ChannelRule ChannelRule,
    IdnameSyntax? Idname = null,
    bool AcceptsJson = false)
{
    public static readonly IReadOnlyList<CommandSpec> All =
    [
        new(Verb.ListId, "POST", "/listid", [], [], [], ChannelRule.SingleOrRequired),
        new(Verb.SaveId, "POST", "/saveid", ["idname", "image"], [], new() { ["image"] = UploadKind.Image }, ChannelRule.SingleOrRequired, IdnameSyntax.Single),
        new(Verb.SetId, "POST", "/setid", ["idname"], [], [], ChannelRule.SingleOrRequired, IdnameSyntax.SetId),
        new(Verb.DelId, "DELETE", "/delid", ["idname"], [], [], ChannelRule.SingleOrRequired, IdnameSyntax.Single),
        new(Verb.DelAll, "DELETE", "/delall", [], [], [], ChannelRule.SingleOrRequired),
        new(Verb.SwapId, "POST", "/swapid", ["idname", "image"], [], new() { ["image"] = UploadKind.Image }, ChannelRule.SingleOrRequired, IdnameSyntax.SwapId),
        new(Verb.Swap, "POST", "/swap", ["saveid_image", "swapid_image"], ["saveid_idname", "swapid_idname"],
            new() { ["saveid_image"] = UploadKind.Image, ["swapid_image"] = UploadKind.Image }, ChannelRule.AnyWithCredits),
        new(Verb.InSwapper, "POST", "/inswapper", ["targetMessageId"], [], [], ChannelRule.SingleOrRequired),
        new(Verb.Picsi, "POST", "/picsi", ["source_image", "target_image_gif_or_video"], ["options"],
            new() { ["source_image"] = UploadKind.Image, ["target_image_gif_or_video"] = UploadKind.ImageGifOrVideo }, ChannelRule.AnyWithCredits),
        new(Verb.ChangeBg, "POST", "/changebg", ["a_background_photo_of", "image"], ["options"],
            new() { ["image"] = UploadKind.Image }, ChannelRule.AnyWithCredits),
        new(Verb.Headshot, "POST", "/headshot", ["prompt"], ["options"], [], ChannelRule.SingleOrRequired, AcceptsJson: true),
    ];
}

public static partial class Idnames
{
    [GeneratedRegex("^[A-Za-z0-9]{1,10}$")]
    private static partial Regex SingleId();

    /// <summary>A face slot: <c>_</c> (leave this face), or up to three ids mixed with <c>+</c>.</summary>
    [GeneratedRegex("^(_|[A-Za-z0-9]{1,10}(\\+[A-Za-z0-9]{1,10}){0,2})(,(_|[A-Za-z0-9]{1,10}(\\+[A-Za-z0-9]{1,10}){0,2}))*$")]
    private static partial Regex FaceList();

    [GeneratedRegex("^(--oldify|-o) ([0-9]{1,4})$")]
    private static partial Regex Oldify();

    /// <summary>Null when valid, else what a person should change.</summary>
    public static string? Problem(string value, IdnameSyntax syntax) => syntax switch
    {
        IdnameSyntax.Single => SingleId().IsMatch(value) ? null : "An idname has only letters and digits, 1 to 10 characters.",
        IdnameSyntax.SetId => value is "--greedy" or "--nogreedy" || FaceList().IsMatch(value) ? null
            : "Use saved idnames separated by commas without spaces (a,b), _ to leave a face, a+b to mix up to three, or --greedy / --nogreedy.",
        IdnameSyntax.SwapId => SwapIdProblem(value),
        _ => null,
    };

    private static string? SwapIdProblem(string value)
    {
        var space = value.IndexOf(' ');
        var faces = space < 0 ? value : value[..space];
        if (!FaceList().IsMatch(faces))
            return "Use saved idnames separated by commas without spaces (a,b), _ to leave a face, a+b to mix up to three.";
        if (space < 0) return null;
        var flag = Oldify().Match(value[(space + 1)..]);
        return flag.Success && int.Parse(flag.Groups[2].Value) is >= 1 and <= 1000
            ? null
            : "After the idnames only --oldify N (or -o N) may follow, with N from 1 to 1000.";
    }
}
