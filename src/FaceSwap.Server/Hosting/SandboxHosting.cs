using System.Security.Cryptography;
using FaceSwap.Core.Accounts;
using FaceSwap.Core.Storage;
using FaceSwap.Discord;
using FaceSwap.Local;
using FaceSwap.Sandbox;
using FaceSwap.Sandbox.Rendering;
using FaceSwap.Server.Local;
using FaceSwap.Server.Wire;

namespace FaceSwap.Server.Hosting;

/// <summary>Configuration section <c>FaceSwap:Sandbox</c>: the Discord emulator run inside the server.</summary>
public sealed class SandboxHostOptions
{
    public const string Section = "FaceSwap:Sandbox";

    /// <summary>Runs the emulator in-process and points the discord engine at it.</summary>
    public bool Enabled { get; set; }

    /// <summary>Its port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; set; }

    public TimeSpan BotReplyDelay { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan AsyncResultDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The reply plan's seed; unset: a random one, kept in the sandbox's state.</summary>
    public int? ReplySeed { get; set; }

    /// <summary>Chance (0–1) of other users' messages in the sandbox channels (docs/sandbox.md, "Other traffic").</summary>
    public double OtherTraffic { get; set; } = new Sandbox.Bot.ReplyPlanOptions().OtherTraffic;

    /// <summary>
    /// The emulated Discord token of the bootstrap user's sandbox channel. Unset (the default): a random one, made
    /// once and kept in the sandbox's state, so no token is shared or public.
    /// </summary>
    public string? UserToken { get; set; }

    public string Guild { get; set; } = "100000000000000001";
    public string Channel { get; set; } = "100000000000000002";
}

/// <summary>Starts the in-process sandbox, gives the bootstrap user its channel, and lets other users ask for their own.</summary>
public static class SandboxHosting
{
    public static async Task AddSandboxAsync(WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(SandboxHostOptions.Section).Get<SandboxHostOptions>() ?? new();
        if (!options.Enabled) return;
        // The emulated bot decodes images under the same pixel limit as the local engine.
        long maxPixels = builder.Configuration.GetSection(LocalEngineOptions.Section).Get<LocalEngineOptions>()?.MaxPixels ?? new LocalEngineOptions().MaxPixels;
        var renderer = new LocalBotImageRenderer(new OpenCvBotImageRenderer(maxPixels));
        builder.Services.AddSingleton(renderer);
        var sandbox = await SandboxServer.StartAsync(new SandboxOptions
        {
            Renderer = renderer,
            MaxPixels = maxPixels,
            Port = options.Port,
            BotReplyDelay = options.BotReplyDelay,
            AsyncResultDelay = options.AsyncResultDelay,
            Replies = new Sandbox.Bot.ReplyPlanOptions { Seed = options.ReplySeed, OtherTraffic = options.OtherTraffic },
            // A restart of the server is not a restart of Discord: the sandbox carries on from its saved state.
            StateStore = OpenState(builder.Configuration),
        });
        string token = options.UserToken ?? sandbox.State.TokenFor(options.Channel) ?? SandboxChannels.NewToken();
        sandbox.State.AddAccount(token, options.Guild, options.Channel, "bootstrap");
        // The discord engine reads its base URL per request, so pointing it here is all it takes.
        builder.Configuration[$"{DiscordEngineOptions.SectionName}:ApiBaseUrl"] = sandbox.ApiBaseUrl.ToString().TrimEnd('/');
        builder.Services.AddSingleton(sandbox);
        builder.Services.AddSingleton<SandboxChannels>();
        builder.Services.AddHostedService<SandboxLifetime>();
        builder.Services.AddSingleton(new DefaultChannel(new Account
        {
            UserId = 0,
            Channel = options.Channel,
            Engine = EngineNames.Discord,
            Server = options.Guild,
            DiscordToken = token,
        }));
    }

    /// <summary>
    /// Where the in-process sandbox keeps its state: where the stores are. On PostgreSQL in the database (the node
    /// needs no folder for it), under a key of its own that one running sandbox holds at a time, so a second node on
    /// the database with its own sandbox stops at start instead of overwriting the first one's Discord. On SQLite in
    /// <c>&lt;data&gt;/sandbox</c>.
    /// </summary>
    private static ISandboxStateStore OpenState(IConfiguration configuration) =>
        StorageProvider.Chosen(configuration) == StorageProvider.Postgres
            ? PostgresSandboxStateStore.Open(StorageProvider.PostgresConnectionString(configuration), PostgresSandboxStateStore.InProcessKey,
                $"the in-process sandbox is one node's own Discord, so another node on this database runs it already. With several nodes set " +
                $"{SandboxHostOptions.Section}:Enabled=false on every node and point them all at one standalone sandbox (docs/sandbox.md, \"Several nodes\")")
            : new SandboxStateFolder(Path.Combine(ServerHost.DataDir(configuration), "sandbox"));

    /// <summary>
    /// The <c>sandbox …</c> command: the sandbox on its own (<see cref="SandboxServer.RunStandaloneAsync(string[])"/>), which
    /// with <c>--postgres CONNECTION</c> keeps its state in that database. Returns the exit code: 2 when an argument or
    /// a setting stops the start (an unknown argument, an unreachable database, another standalone sandbox on it).
    /// </summary>
    public static async Task<int> RunStandaloneAsync(string[] args, TextWriter output, TextWriter error, CancellationToken ct)
    {
        try
        {
            await SandboxServer.RunStandaloneAsync(args, output, ct, connectionString => PostgresSandboxStateStore.Open(connectionString,
                PostgresSandboxStateStore.StandaloneKey, "run one standalone sandbox per database and point every node at it", setting: "--postgres"));
            return 0;
        }
        catch (Exception e) when (e is StorageConfigurationException or ArgumentException or FormatException)
        {
            error.WriteLine($"faceswap sandbox: cannot start: {e.Message}");
            return 2;
        }
    }
}

/// <summary>
/// A sandbox channel of a user's own: <c>POST /account/{channel}</c> with <c>{"sandbox": true}</c> registers a new
/// emulated Discord identity (a random token, a guild of its own, the channel id the user chose) and stores it as the
/// user's discord account for that channel. No other token can read or use that channel (403 50001, as Discord).
/// </summary>
public sealed class SandboxChannels(SandboxServer sandbox, IAccountStore accounts)
{
    public static string NewToken() => "sandbox." + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async Task<IResult> EnableAsync(long userId, string channel, CancellationToken ct)
    {
        if (!Apis.AccountsApi.IsSnowflake(channel))
            return ApiError.Result(400, $"Required param channel ({channel}) is not valid Discord channel id",
                "A sandbox channel id is any snowflake you choose (17–20 digits).");
        if (await accounts.GetAsync(userId, channel, ct) is { DiscordToken: { } existing } && sandbox.State.TokenFor(channel) == existing)
            return Results.NoContent(); // already this user's sandbox channel
        if (sandbox.State.FindChannel(channel) is not null)
            return ApiError.Result(400, $"Channel {channel} is taken in the sandbox", "Choose another channel id.");
        string token = NewToken();
        string guild = sandbox.State.Ids.Next().ToString();
        sandbox.State.AddAccount(token, guild, channel);
        await accounts.UpsertAsync(new Account
        {
            UserId = userId, Channel = channel, Engine = EngineNames.Discord, Server = guild, DiscordToken = token, Created = DateTimeOffset.UtcNow,
        }, ct);
        return Results.NoContent();
    }
}

/// <summary>Stops the in-process sandbox with the server.</summary>
internal sealed class SandboxLifetime(SandboxServer sandbox) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken) => await sandbox.DisposeAsync();
}
