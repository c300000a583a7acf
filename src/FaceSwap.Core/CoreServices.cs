using FaceSwap.Core.Accounts;
using FaceSwap.Core.Dispatch;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Storage.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FaceSwap.Core;

public static class CoreServices
{
    /// <summary>
    /// Stores (SQLite in <paramref name="dataDir"/>, blobs beside it), the dispatcher and the retention
    /// sweeper. Engines register themselves as <see cref="Engines.IEngine"/>.
    /// </summary>
    public static IServiceCollection AddFaceSwapCore(this IServiceCollection services, IConfiguration configuration, string dataDir)
    {
        services.Configure<JobsOptions>(configuration.GetSection(JobsOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(new SqliteDatabase(Path.Combine(dataDir, "faceswap.db")));
        services.AddSingleton<IBlobStore>(new FileBlobStore(Path.Combine(dataDir, "blobs")));
        services.AddSingleton<DiscordTokenProtector>();
        services.AddSingleton<IJobStore, SqliteJobStore>();
        services.AddSingleton<IAccountStore, SqliteAccountStore>();
        services.AddSingleton<IUserStore, SqliteUserStore>();
        services.AddSingleton<Webhooks.IDeliveryStore, SqliteDeliveryStore>();
        services.AddSingleton<Webhooks.IIdempotencyStore, SqliteIdempotencyStore>();
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
