using FaceSwap.Core.Accounts;
using FaceSwap.Discord;
using FaceSwap.Local;
using FaceSwap.Sandbox;
using FaceSwap.Sandbox.Rendering;
using FaceSwap.Server.Apis;
using FaceSwap.Server.Local;

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

    /// <summary>The emulated Discord identity of the bootstrap user's sandbox channel (not a secret: it only opens the emulator).</summary>
    public string UserToken { get; set; } = "sandbox-user-token";
    public string Guild { get; set; } = "100000000000000001";
    public string Channel { get; set; } = "100000000000000002";
}

/// <summary>Registers the engines this server runs, and the in-process sandbox when it is enabled.</summary>
public static class EngineHosting
{
    /// <summary>The bootstrap user's local channel.</summary>
    public const string LocalChannel = "local";

    public static async Task AddEnginesAsync(WebApplicationBuilder builder)
    {
        builder.Services.AddDiscordEngine(builder.Configuration);
        builder.Services.AddLocalEngine(builder.Configuration);
        // Without a configured models folder, <data>/models is used when it exists (scripts/setup.sh puts BlazeFace there).
        var defaultModels = Path.Combine(ServerHost.DataDir(builder.Configuration), "models");
        builder.Services.PostConfigure<LocalEngineOptions>(local => local.ModelsDir ??= Directory.Exists(defaultModels) ? defaultModels : null);
        builder.Services.AddSingleton<ILocalResultLookup, StoredResultLookup>();
        builder.Services.AddSingleton<IAccountDescriber, LocalCapabilitiesDescriber>();
        if (builder.Configuration.GetValue("FaceSwap:Local:BootstrapChannel", true))
            builder.Services.AddSingleton(new DefaultChannel(new Account { UserId = 0, Channel = LocalChannel, Engine = EngineNames.Local }));

        var sandboxOptions = builder.Configuration.GetSection(SandboxHostOptions.Section).Get<SandboxHostOptions>() ?? new();
        if (!sandboxOptions.Enabled) return;
        var renderer = new LocalBotImageRenderer(new OpenCvBotImageRenderer());
        builder.Services.AddSingleton(renderer);
        var sandbox = await SandboxServer.StartAsync(new SandboxOptions
        {
            Renderer = renderer,
            Port = sandboxOptions.Port,
            BotReplyDelay = sandboxOptions.BotReplyDelay,
            AsyncResultDelay = sandboxOptions.AsyncResultDelay,
        });
        sandbox.State.AddAccount(sandboxOptions.UserToken, sandboxOptions.Guild, sandboxOptions.Channel);
        // The discord engine reads its base URL per request, so pointing it here is all it takes.
        builder.Configuration[$"{DiscordEngineOptions.SectionName}:ApiBaseUrl"] = sandbox.ApiBaseUrl.ToString().TrimEnd('/');
        builder.Services.AddSingleton(sandbox);
        builder.Services.AddHostedService<SandboxLifetime>();
        builder.Services.AddSingleton(new DefaultChannel(new Account
        {
            UserId = 0,
            Channel = sandboxOptions.Channel,
            Engine = EngineNames.Discord,
            Server = sandboxOptions.Guild,
            DiscordToken = sandboxOptions.UserToken,
        }));
    }
}

/// <summary>Stops the in-process sandbox with the server.</summary>
internal sealed class SandboxLifetime(SandboxServer sandbox) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken) => await sandbox.DisposeAsync();
}
