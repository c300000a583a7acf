using System.CommandLine;
using System.Text.Json;
using FaceSwap.Client;
using Spectre.Console;

namespace FaceSwap.Cli;

/// <summary>
/// <c>faceswap webhook show|set|rotate</c> (the default replyUrl and its signing secret) and
/// <c>faceswap jobs deliveries|redeliver</c> (a job's calls to its replyUrl).
/// </summary>
public static class WebhookCommands
{
    public static Command Create(Terminal terminal)
    {
        var showSecret = new Option<bool>("--show-secret") { Description = "Print the signing secret whole (for your receiver's configuration)" };
        var show = new Command("show", "The default replyUrl, the extra events and the signing secret (masked)") { showSecret };
        show.SetAction((parse, ct) => FaceSwapCli.Guard(terminal, async () =>
        {
            using var client = FaceSwapCli.Client(terminal);
            Print(terminal, await client.GetWebhookSettingsAsync(ct), parse.GetValue(FaceSwapCli.Json), parse.GetValue(showSecret));
            return ExitCodes.Ok;
        }));

        var url = new Argument<string?>("url") { Description = "The default replyUrl; leave out with --clear", Arity = ArgumentArity.ZeroOrOne };
        var events = new Option<string[]>("--events") { Description = "Calls beyond the final one: started, progress", AllowMultipleArgumentsPerToken = true };
        var clear = new Option<bool>("--clear") { Description = "Remove the default replyUrl" };
        var set = new Command("set", "Set the default replyUrl for your jobs") { url, events, clear };
        set.SetAction((parse, ct) => FaceSwapCli.Guard(terminal, async () =>
        {
            var replyUrl = parse.GetValue(url);
            if ((replyUrl is null) != parse.GetValue(clear)) throw new UsageException("Give a URL, or --clear to remove the default replyUrl.");
            var names = parse.GetValue(events)?.SelectMany(e => e.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
            using var client = FaceSwapCli.Client(terminal);
            await client.SaveWebhookSettingsAsync(replyUrl, names is { Length: > 0 } ? names : null, ct);
            terminal.Console.MarkupLineInterpolated($"Default replyUrl {(replyUrl is null ? "removed" : "set to " + replyUrl)}.");
            return ExitCodes.Ok;
        }));

        var rotateShow = new Option<bool>("--show-secret") { Description = "Print the new secret whole" };
        var rotate = new Command("rotate", "Make a new signing secret (the previous one keeps signing for 24 h)") { rotateShow };
        rotate.SetAction((parse, ct) => FaceSwapCli.Guard(terminal, async () =>
        {
            using var client = FaceSwapCli.Client(terminal);
            Print(terminal, await client.RotateWebhookSecretAsync(ct), parse.GetValue(FaceSwapCli.Json), parse.GetValue(rotateShow));
            return ExitCodes.Ok;
        }));

        return new Command("webhook", "Your default replyUrl and the secret that signs its calls") { show, set, rotate };
    }

    private static void Print(Terminal terminal, WebhookSettings settings, bool json, bool showSecret)
    {
        string? Secret(string? secret) => secret is null || showSecret ? secret : ConfigFile.Mask(secret);
        if (json)
        {
            terminal.Out.WriteLine(JsonSerializer.Serialize(settings with { Secret = Secret(settings.Secret), PreviousSecret = Secret(settings.PreviousSecret) },
                new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
            return;
        }
        terminal.Console.MarkupLineInterpolated($"replyUrl: {settings.ReplyUrl ?? "(none)"}");
        terminal.Console.MarkupLineInterpolated($"events:   {(settings.Events.Count == 0 ? "final only" : "final, " + string.Join(", ", settings.Events))}");
        terminal.Console.MarkupLineInterpolated($"secret:   {Secret(settings.Secret)}");
        if (settings.PreviousSecret is not null)
            terminal.Console.MarkupLineInterpolated($"previous: {Secret(settings.PreviousSecret)} (signs until {settings.PreviousSecretExpires:u})");
    }

    /// <summary><c>faceswap jobs deliveries JOBID</c> and <c>faceswap jobs redeliver JOBID</c>.</summary>
    public static IEnumerable<Command> JobCommands(Terminal terminal)
    {
        var deliveriesId = new Argument<string>("jobid") { Description = "The job's id" };
        var deliveries = new Command("deliveries", "The job's calls to its replyUrl and each attempt") { deliveriesId };
        deliveries.SetAction((parse, ct) => FaceSwapCli.Guard(terminal, async () =>
        {
            using var client = FaceSwapCli.Client(terminal);
            var log = await client.ListDeliveriesAsync(parse.GetValue(deliveriesId)!, ct);
            if (parse.GetValue(FaceSwapCli.Json))
            {
                terminal.Out.WriteLine(JsonSerializer.Serialize(log, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
                return ExitCodes.Ok;
            }
            if (log.Count == 0) terminal.Console.MarkupLine("No deliveries.");
            var table = new Table().Border(TableBorder.Rounded).AddColumns("webhook-id", "event", "state", "attempts", "url");
            foreach (var delivery in log)
            {
                var attempts = string.Join(", ", delivery.Attempts.Select(a => $"{a.At:HH:mm:ss} {(a.HttpStatus?.ToString() ?? a.Error)} {a.DurationMs} ms"));
                table.AddRow(Markup.Escape(delivery.WebhookId), Markup.Escape(delivery.Event ?? ""), Markup.Escape(delivery.State ?? ""),
                    Markup.Escape(attempts), Markup.Escape(delivery.Url ?? ""));
            }
            if (log.Count > 0) terminal.Console.Write(table);
            return ExitCodes.Ok;
        }));

        var redeliverId = new Argument<string>("jobid") { Description = "The job's id" };
        var redeliver = new Command("redeliver", "Send the job to its replyUrl again") { redeliverId };
        redeliver.SetAction((parse, ct) => FaceSwapCli.Guard(terminal, async () =>
        {
            using var client = FaceSwapCli.Client(terminal);
            var queued = await client.RedeliverAsync(parse.GetValue(redeliverId)!, ct);
            if (parse.GetValue(FaceSwapCli.Json)) terminal.Out.WriteLine(JsonSerializer.Serialize(queued));
            else terminal.Console.MarkupLineInterpolated($"Delivery {queued.WebhookId} of {queued.JobId} queued.");
            return ExitCodes.Ok;
        }));
        return [deliveries, redeliver];
    }
}
