using FaceSwap.Core.Engines;
using FaceSwap.Core.Storage.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FaceSwap.Local;

public static class LocalEngineServiceCollectionExtensions
{
    /// <summary>
    /// Registers the local engine as an <see cref="IEngine"/>, its options (section <c>FaceSwap:Local</c>),
    /// <see cref="LocalFaceSwapper"/> and an <see cref="ISavedFaceStore"/> beside the other stores. The host must
    /// register <see cref="ILocalResultLookup"/> (it owns the jobs that inswapper targets).
    /// </summary>
    public static IServiceCollection AddLocalEngine(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<LocalEngineOptions>().Bind(configuration.GetSection(LocalEngineOptions.Section));
        services.PostConfigure<LocalEngineOptions>(o =>
            o.SavedFacesDir ??= Path.Combine(configuration["FaceSwap:DataDir"] ?? "data", "local-faces"));
        services.TryAddSingleton<LocalFaceSwapper>();
        // Saved ids live where the stores do: in the cluster's database on PostgreSQL (any node swaps with an id saved
        // through another), else as files in the data folder.
        services.TryAddSingleton<ISavedFaceStore>(sp => sp.GetService<PostgresDatabase>() is { } database
            ? new PostgresSavedFaceStore(database)
            : new FileSavedFaceStore(sp.GetRequiredService<IOptions<LocalEngineOptions>>().Value.SavedFacesDir!));
        services.AddSingleton<LocalEngine>();
        services.AddSingleton<IEngine>(sp => sp.GetRequiredService<LocalEngine>());
        return services;
    }
}
