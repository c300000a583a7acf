using System.CommandLine;
using Spectre.Console;

namespace FaceSwap.Cli;

/// <summary><c>faceswap config set --base-url … --token …</c> and <c>faceswap config show</c>.</summary>
public static class ConfigCommands
{
    public static Command Create(Terminal terminal)
    {
        var baseUrl = new Option<string?>("--base-url") { Description = "The server, e.g. http://localhost:5080" };
        var token = new Option<string?>("--token") { Description = "Your API token" };
        var set = new Command("set", "Store the server's base URL and your token (in a file only you can read)") { baseUrl, token };
        set.SetAction((parse, _) => FaceSwapCli.Guard(terminal, () =>
        {
            var newUrl = parse.GetValue(baseUrl);
            var newToken = parse.GetValue(token);
            if (newUrl is null && newToken is null) throw new UsageException("Give --base-url, --token or both.");
            if (newUrl is not null) ConfigFile.ParseBaseUrl(newUrl);
            var stored = ConfigFile.Load(terminal.ConfigPath);
            var saved = new CliSettings(newUrl ?? stored.BaseUrl, newToken ?? stored.Token);
            ConfigFile.Save(terminal.ConfigPath, saved);
            terminal.Console.MarkupLineInterpolated($"Saved to {terminal.ConfigPath}: base URL {saved.BaseUrl ?? "(none)"}, token {ConfigFile.Mask(saved.Token)}");
            return Task.FromResult(ExitCodes.Ok);
        }));

        var show = new Command("show", "Show the configuration in use (the token masked)");
        show.SetAction((parse, _) => FaceSwapCli.Guard(terminal, () =>
        {
            var stored = ConfigFile.Load(terminal.ConfigPath);
            var envUrl = terminal.Environment(ConfigFile.BaseUrlVariable);
            var envToken = terminal.Environment(ConfigFile.TokenVariable);
            var url = string.IsNullOrEmpty(envUrl) ? stored.BaseUrl : envUrl;
            var key = string.IsNullOrEmpty(envToken) ? stored.Token : envToken;
            if (parse.GetValue(FaceSwapCli.Json))
            {
                terminal.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { file = terminal.ConfigPath, baseUrl = url, token = ConfigFile.Mask(key) }));
                return Task.FromResult(ExitCodes.Ok);
            }
            terminal.Console.MarkupLineInterpolated($"config file: {terminal.ConfigPath}");
            terminal.Console.MarkupLineInterpolated($"base URL:    {url ?? "(none)"}{(string.IsNullOrEmpty(envUrl) ? "" : $" (from {ConfigFile.BaseUrlVariable})")}");
            terminal.Console.MarkupLineInterpolated($"token:       {ConfigFile.Mask(key)}{(string.IsNullOrEmpty(envToken) ? "" : $" (from {ConfigFile.TokenVariable})")}");
            return Task.FromResult(ExitCodes.Ok);
        }));

        return new Command("config", "Where the API is and your token") { set, show };
    }
}
