using FaceSwap.Core.Accounts;
using FaceSwap.Core.Dispatch;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FaceSwap.Core;

public static class CoreServices
{
    /// <summary>
    /// Stores (by <see cref="StorageProvider"/>: SQLite in <paramref name="dataDir"/> with blobs beside it, or
    /// PostgreSQL), the dispatcher and the retention sweeper. Engines register themselves as <see cref="Engines.IEngine"/>.
    /// </summary>
    public static IServiceCollection AddFaceSwapCore(this IServiceCollection services, IConfiguration configuration, string dataDir)
    {
        services.Configure<JobsOptions>(configuration.GetSection(JobsOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.AddStores(configuration, dataDir);
        services.AddSingleton<DiscordTokenProtector>();
        services.AddSingleton<JobNotifier>();
        services.AddSingleton<JobWaiters>();
        services.AddSingleton<EngineRegistry>();
        services.AddSingleton<JobDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<JobDispatcher>());
        services.AddSingleton<RetentionSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<RetentionSweeper>());
        return services;
    }
}
