using System.CommandLine;
using FaceSwap.Client;

namespace FaceSwap.Cli;

/// <summary>
/// The eleven commands (<c>faceswap swapid me photo.jpg -o out.png</c>): submit, follow the job live until it
/// ends (unless <c>--no-wait</c>), show it, save its results (<c>-o</c>).
/// </summary>
public static class BotCommands
{
    private sealed record Common(Option<string?> Channel, Option<string?> ReplyUrl, Option<string?> ReplyRef, Option<string?> IdempotencyKey,
        Option<bool> NoWait, Option<string?> Output);

    private delegate Task<Job> Submit(ParseResult parse, FaceSwapClient client, CommandOptions options, CancellationToken cancellationToken);

    public static IEnumerable<Command> Create(Terminal terminal)
    {
        Argument<string> IdName(string description = "Saved face name(s): letters and digits, up to 10 characters") => new("idname") { Description = description };
        Argument<string> File(string name, string description) => new(name) { Description = description };
        Option<string?> Options(string description) => new("--options") { Description = description };

        var idname = IdName();
        var image = File("image", "The photo with the face to save");
        yield return Build(terminal, "saveid", "Save the face in a photo under a name", [idname, image], [],
            async (p, c, o, ct) => await c.SaveIdAsync(p.GetValue(idname)!, await Upload(p.GetValue(image)!, ct), o, ct));

        var swapNames = IdName("Saved name(s) to put on the photo: me, a,b, _ to skip a face; e.g. \"me --oldify 200\"");
        var target = File("image", "The photo whose face(s) to replace");
        yield return Build(terminal, "swapid", "Put saved face(s) onto a photo", [swapNames, target], [],
            async (p, c, o, ct) => await c.SwapIdAsync(p.GetValue(swapNames)!, await Upload(p.GetValue(target)!, ct), o, ct));

        yield return Build(terminal, "listid", "List the saved faces, the defaults and the prefer options", [], [],
            (_, c, o, ct) => c.ListIdAsync(o, ct));

        // The bot takes the prefer option in the idname field; here it is a flag of its own, as a user would write it.
        var setNames = new Argument<string?>("idname") { Description = "Default name(s): a,b, _ to skip a face, a+b", Arity = ArgumentArity.ZeroOrOne };
        var greedy = new Option<bool>("--greedy") { Description = "Prefer option: one saved id replaces every face" };
        var noGreedy = new Option<bool>("--nogreedy") { Description = "Prefer option: ids go to faces in order (the default)" };
        yield return Build(terminal, "setid", "Set the default face(s) for inswapper, or the prefer option --greedy/--nogreedy", [setNames],
            [greedy, noGreedy], (p, c, o, ct) => c.SetIdAsync(SetIdValue(p.GetValue(setNames), p.GetValue(greedy), p.GetValue(noGreedy)), o, ct));

        var delName = IdName("The saved name to delete");
        yield return Build(terminal, "delid", "Delete one saved face", [delName], [],
            (p, c, o, ct) => c.DelIdAsync(p.GetValue(delName)!, o, ct));

        yield return Build(terminal, "delall", "Delete every saved face of the channel", [], [],
            (_, c, o, ct) => c.DelAllAsync(o, ct));

        var source = File("source", "The photo with the face to use");
        var swapTarget = File("target", "The photo whose face to replace");
        var saveIdName = new Option<string?>("--saveid-idname") { Description = "Name to save the source face under (default id)" };
        var swapIdName = new Option<string?>("--swapid-idname") { Description = "Name to swap with (default id)" };
        yield return Build(terminal, "swap", "Save a face and swap it onto a photo in one call", [source, swapTarget], [saveIdName, swapIdName],
            async (p, c, o, ct) => await c.SwapAsync(await Upload(p.GetValue(source)!, ct), await Upload(p.GetValue(swapTarget)!, ct),
                p.GetValue(saveIdName), p.GetValue(swapIdName), o, ct));

        var messageId = new Argument<string>("message-id") { Description = "The id of a message with an image in the channel (e.g. a job's messageId)" };
        yield return Build(terminal, "inswapper", "Swap the default face(s) onto the image of a message", [messageId], [],
            (p, c, o, ct) => c.InSwapperAsync(p.GetValue(messageId)!, o, ct));

        var picsiSource = File("source", "The photo with the face to use");
        var picsiTarget = File("target", "The image, GIF or video to put it on");
        var picsiOptions = Options("Picsi options, e.g. \"-f -m\"");
        yield return Build(terminal, "picsi", "Put a face onto an image, GIF or video", [picsiSource, picsiTarget], [picsiOptions],
            async (p, c, o, ct) => await c.PicsiAsync(await Upload(p.GetValue(picsiSource)!, ct), await Upload(p.GetValue(picsiTarget)!, ct),
                p.GetValue(picsiOptions), o, ct));

        var background = new Argument<string>("background") { Description = "The new background, e.g. \"a beach at dawn\"" };
        var bgImage = File("image", "The photo whose background to change");
        var bgOptions = Options("changebg options");
        yield return Build(terminal, "changebg", "Change a photo's background", [background, bgImage], [bgOptions],
            async (p, c, o, ct) => await c.ChangeBgAsync(p.GetValue(background)!, await Upload(p.GetValue(bgImage)!, ct), p.GetValue(bgOptions), o, ct));

        var prompt = new Argument<string>("prompt") { Description = "e.g. \"me, an astronaut --square\"" };
        var headshotOptions = Options("headshot options");
        yield return Build(terminal, "headshot", "Make a headshot of a saved face from a prompt", [prompt], [headshotOptions],
            (p, c, o, ct) => c.HeadshotAsync(p.GetValue(prompt)!, p.GetValue(headshotOptions), o, ct));
    }

    /// <summary>What <c>setid</c> sends as its idname: the names, or one prefer option, never both.</summary>
    private static string SetIdValue(string? names, bool greedy, bool noGreedy) =>
        (names, greedy, noGreedy) switch
        {
            ({ } given, false, false) => given,
            (null, true, false) => "--greedy",
            (null, false, true) => "--nogreedy",
            (null, false, false) => throw new UsageException("setid needs default name(s) or one of --greedy, --nogreedy."),
            _ => throw new UsageException("setid takes default name(s) or one of --greedy, --nogreedy, not more than one."),
        };

    private static async Task<FileUpload> Upload(string path, CancellationToken cancellationToken)
    {
        if (!System.IO.File.Exists(path)) throw new UsageException($"No such file: {path}");
        return await FileUpload.FromFileAsync(path, cancellationToken);
    }

    private static Command Build(Terminal terminal, string name, string description, Argument[] arguments, Option[] extra, Submit submit)
    {
        var common = new Common(
            new Option<string?>("--channel", "-c") { Description = "The channel to run on (needed when you have several)" },
            new Option<string?>("--reply-url") { Description = "A URL to call when the job ends" },
            new Option<string?>("--reply-ref") { Description = "Your reference, echoed in the job" },
            new Option<string?>("--idempotency-key") { Description = "Repeat a command safely: the same key returns the first job" },
            new Option<bool>("--no-wait") { Description = "Answer as soon as the job is stored (Prefer: respond-async); follow it with faceswap jobs watch" },
            new Option<string?>("--output", "-o") { Description = "Save the result file(s) here (a file, or a folder ending with /)" });
        var command = new Command(name, description);
        foreach (var argument in arguments) command.Arguments.Add(argument);
        foreach (var option in extra) command.Options.Add(option);
        foreach (var option in new Option[] { common.Channel, common.ReplyUrl, common.ReplyRef, common.IdempotencyKey, common.NoWait, common.Output })
            command.Options.Add(option);
        command.SetAction((parse, cancellationToken) => FaceSwapCli.Guard(terminal, async () =>
        {
            var json = parse.GetValue(FaceSwapCli.Json);
            var noWait = parse.GetValue(common.NoWait);
            var output = parse.GetValue(common.Output);
            if (noWait && output is not null) throw new UsageException("--no-wait and --output do not go together: save results later with faceswap jobs get JOBID -o PATH.");
            using var client = FaceSwapCli.Client(terminal);
            var options = new CommandOptions
            {
                Channel = parse.GetValue(common.Channel),
                ReplyUrl = parse.GetValue(common.ReplyUrl),
                ReplyRef = parse.GetValue(common.ReplyRef),
                IdempotencyKey = parse.GetValue(common.IdempotencyKey),
                RespondAsync = noWait,
            };
            var job = await submit(parse, client, options, cancellationToken);
            if (!noWait) job = await JobOutput.FollowAsync(terminal, client, job, json, cancellationToken);
            JobOutput.Print(terminal, job, json);
            if (output is not null && job.Status == JobStatus.Completed) await JobOutput.SaveAsync(terminal, client, job, output, json, cancellationToken);
            return noWait ? ExitCodes.Ok : JobOutput.ExitCode(job);
        }));
        return command;
    }
}
