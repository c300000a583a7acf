using FaceSwap.Sandbox;
using FaceSwap.Sandbox.Bot;
using FaceSwap.Sandbox.Discord;

namespace FaceSwap.Server.Tests.Infrastructure;

/// <summary>
/// The Discord emulator in the test's own process, outside the server: it outlives a killed server, and it is
/// tuned for load (no daily credit limit, generous rate limits, every channel with a saved face). Each channel
/// has its own emulated Discord user. What the bot received is read from the sandbox's log of the interactions
/// Discord accepted. The reply plan has a fixed seed, so a failure can be replayed with the same patterns.
/// </summary>
public sealed class HostedSandbox : IAsyncDisposable
{
    private HostedSandbox(SandboxServer server, SandboxOptions options, IReadOnlyList<SandboxChannelAccount> channels)
    {
        Server = server;
        Options = options;
        Channels = channels;
    }

    public SandboxServer Server { get; }

    /// <summary>The emulator's live options: the bot reads its delays from here each time.</summary>
    public SandboxOptions Options { get; }

    public IReadOnlyList<SandboxChannelAccount> Channels { get; }

    public static async Task<HostedSandbox> StartAsync(int channels, TimeSpan asyncResultDelay, TimeSpan? botReplyDelay = null)
    {
        var generous = new RateLimitPolicy(10_000, TimeSpan.FromSeconds(1));
        var options = new SandboxOptions
        {
            BotReplyDelay = botReplyDelay ?? TimeSpan.FromMilliseconds(20),
            AsyncResultDelay = asyncResultDelay,
            DailyCredits = 1_000_000,
            GlobalRequestsPerSecond = 100_000,
            RateLimits = SandboxRoutes.All.ToDictionary(r => r, _ => generous),
            Replies = new ReplyPlanOptions { Seed = 20261130 },
        };
        var server = await SandboxServer.StartAsync(options);
        var list = new List<SandboxChannelAccount>();
        for (var i = 0; i < channels; i++)
        {
            // A user's Discord channels need distinct tokens and servers (the account API insists), so each has its own.
            var account = new SandboxChannelAccount($"load-user-token-{i}", $"2000000000000000{i:00}", $"2000000000000001{i:00}");
            server.State.AddAccount(account.Token, account.Guild, account.Channel);
            // headshot draws the channel's default face: save one, as a /saveid would have.
            server.State.FindChannel(account.Channel)!.SavedIds.Save("me", SandboxedServer.FacePhoto(seed: i + 1));
            list.Add(account);
        }
        return new HostedSandbox(server, options, list);
    }

    /// <summary>Settings that point a server's discord engine here and make it poll fast.</summary>
    public IEnumerable<KeyValuePair<string, string>> ServerSettings() => new Dictionary<string, string>
    {
        ["FaceSwap:Sandbox:Enabled"] = "false",
        ["FaceSwap:Discord:ApiBaseUrl"] = Server.ApiBaseUrl.ToString().TrimEnd('/'),
        ["FaceSwap:Discord:FastPollInterval"] = "00:00:00.150",
        ["FaceSwap:Discord:SlowPollMin"] = "00:00:00.200",
        ["FaceSwap:Discord:SlowPollMax"] = "00:00:00.400",
        ["FaceSwap:Discord:InteractionPacing"] = "00:00:00",
        ["FaceSwap:Discord:ReplyTimeout"] = "00:00:30",
        ["FaceSwap:Discord:AsyncResultTimeout"] = "00:01:00",
        ["FaceSwap:Discord:ServerErrorBackoff"] = "00:00:00.100",
    };

    /// <summary>
    /// Each command <paramref name="name"/> that Discord accepted for the bot on these channels, by the prompt it
    /// carried (null: none), read from the sandbox's log of accepted interactions, so a reply pattern or an edit
    /// that hides the prompt later cannot hide a command.
    /// </summary>
    public IReadOnlyList<string?> PromptsReceived(string name)
    {
        var ours = Channels.Select(c => c.Channel).ToHashSet();
        return Server.State.Received
            .Where(i => i.Command.Name == name && ours.Contains(i.Channel.Id))
            .Select(i => i.Strings.GetValueOrDefault("prompt"))
            .ToList();
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>An emulated Discord user's channel: the values of <c>POST /account/{channel}</c>.</summary>
public sealed record SandboxChannelAccount(string Token, string Guild, string Channel);
