using FaceSwap.Core.Accounts;
using FaceSwap.Discord;
using FaceSwap.Local;
using FaceSwap.Server.Apis;
using FaceSwap.Server.Local;

namespace FaceSwap.Server.Hosting;

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

        await SandboxHosting.AddSandboxAsync(builder);
    }
}
