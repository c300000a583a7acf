using System.CommandLine;
using System.Text.Json;
using FaceSwap.Client;
using Spectre.Console;

namespace FaceSwap.Cli;

/// <summary><c>faceswap accounts list|add|remove</c>: the channels where commands run.</summary>
public static class AccountCommands
{
    public static Command Create(Terminal terminal)
    {
        var list = new Command("list", "Your channels, their engine, health and credits");
        list.SetAction((parse, ct) => FaceSwapCli.Guard(terminal, async () =>
        {
            using var client = FaceSwapCli.Client(terminal);
            var accounts = await client.ListAccountsAsync(ct);
            if (parse.GetValue(FaceSwapCli.Json))
            {
                terminal.Out.WriteLine(JsonSerializer.Serialize(accounts, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
                return ExitCodes.Ok;
            }
            if (accounts.Count == 0)
            {
                terminal.Console.MarkupLine("No channels yet: add one with [bold]faceswap accounts add[/].");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("channel", "engine", "health", "credits", "server", "discord");
            foreach (var account in accounts.Values)
            {
                table.AddRow(Markup.Escape(account.Channel), Markup.Escape(account.Engine ?? "discord"), Markup.Escape(account.Health ?? ""),
                    Markup.Escape(account.Credits is { } c ? $"{c.Used}/{c.Total}" : ""), Markup.Escape(account.Server ?? ""), Markup.Escape(account.Discord ?? ""));
            }
            terminal.Console.Write(table);
            return ExitCodes.Ok;
        }));

        var channel = new Argument<string>("channel") { Description = "The Discord channel id (or a name for a local channel)" };
        var discord = new Option<string?>("--discord") { Description = "The Discord user token (stored encrypted by the server, never shown whole)" };
        var server = new Option<string?>("--server") { Description = "The Discord server id" };
        var local = new Option<bool>("--local") { Description = "A channel on the server's own engine" };
        var sandbox = new Option<bool>("--sandbox") { Description = "A channel on the server's Discord emulator" };
        var add = new Command("add", "Add or replace a channel") { channel, discord, server, local, sandbox };
        add.SetAction((parse, ct) => FaceSwapCli.Guard(terminal, async () =>
        {
            var name = parse.GetValue(channel)!;
            AccountSettings settings = (parse.GetValue(local), parse.GetValue(sandbox)) switch
            {
                (true, true) => throw new UsageException("Choose --local or --sandbox, not both."),
                (true, _) => AccountSettings.ForLocalEngine(),
                (_, true) => AccountSettings.ForSandbox(),
                _ => AccountSettings.ForDiscord(parse.GetValue(discord) ?? "", parse.GetValue(server) ?? "", name),
            };
            using var client = FaceSwapCli.Client(terminal);
            await client.SaveAccountAsync(name, settings, ct);
            terminal.Console.MarkupLineInterpolated($"Channel {name} saved.");
            return ExitCodes.Ok;
        }));

        var removeChannel = new Argument<string>("channel") { Description = "The channel to remove" };
        var remove = new Command("remove", "Remove a channel") { removeChannel };
        remove.SetAction((parse, ct) => FaceSwapCli.Guard(terminal, async () =>
        {
            using var client = FaceSwapCli.Client(terminal);
            await client.DeleteAccountAsync(parse.GetValue(removeChannel)!, ct);
            terminal.Console.MarkupLineInterpolated($"Channel {parse.GetValue(removeChannel)} removed.");
            return ExitCodes.Ok;
        }));

        return new Command("accounts", "Your channels (the API's accounts)") { list, add, remove };
    }
}
