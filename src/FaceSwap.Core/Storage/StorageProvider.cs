using FaceSwap.Core.Storage.Postgres;
using FaceSwap.Core.Storage.Sqlite;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FaceSwap.Core.Storage;

/// <summary>
/// Where every store lives, chosen by <c>FaceSwap:Storage:Provider</c>: <c>sqlite</c> (the default, embedded in
/// the data folder, one process) or <c>postgres</c> (the database named by <c>ConnectionStrings:FaceSwap</c>,
/// shared by any number of nodes). Each provider registers the same set of stores.
/// </summary>
public static class StorageProvider
{
    public const string ProviderKey = "FaceSwap:Storage:Provider";
    public const string ConnectionStringName = "FaceSwap";
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// <summary>The chosen provider's stores; a configuration that names no usable database stops the start.</summary>
    public static IServiceCollection AddStores(this IServiceCollection services, IConfiguration configuration, string dataDir) =>
        Chosen(configuration) == Postgres
            ? services.AddPostgresStores(PostgresConnectionString(configuration))
            : services.AddSqliteStores(dataDir);

    /// <summary>The provider that <c>FaceSwap:Storage:Provider</c> names (<c>sqlite</c> when unset); any other name stops the start.</summary>
    public static string Chosen(IConfiguration configuration)
    {
        var provider = configuration[ProviderKey]?.Trim() is { Length: > 0 } named ? named.ToLowerInvariant() : Sqlite;
        return provider is Sqlite or Postgres
            ? provider
            : throw new StorageConfigurationException(
                $"{ProviderKey} is '{configuration[ProviderKey]}', which is not a storage provider: use {Sqlite} (the default) or {Postgres}");
    }

    /// <summary>The PostgreSQL database's connection string (<c>ConnectionStrings:FaceSwap</c>); unset stops the start.</summary>
    public static string PostgresConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString(ConnectionStringName) is { Length: > 0 } connectionString
            ? connectionString
            : throw new StorageConfigurationException(
                $"{ProviderKey} is {Postgres} but ConnectionStrings:{ConnectionStringName} is not set: give the database's connection string " +
                $"(e.g. ConnectionStrings__{ConnectionStringName}=\"Host=db;Database=faceswap;Username=faceswap;Password=…\")");

    private static IServiceCollection AddSqliteStores(this IServiceCollection services, string dataDir)
    {
        services.AddSingleton(new SqliteDatabase(Path.Combine(dataDir, "faceswap.db")));
        services.AddSingleton<IBlobStore>(new FileBlobStore(Path.Combine(dataDir, "blobs")));
        services.AddSingleton<IJobStore, SqliteJobStore>();
        services.AddSingleton<IAccountStore, SqliteAccountStore>();
        services.AddSingleton<IUserStore, SqliteUserStore>();
        services.AddSingleton<IUserChanges, SqliteUserChanges>();
        services.AddSingleton<Webhooks.IDeliveryStore, SqliteDeliveryStore>();
        services.AddSingleton<Webhooks.IIdempotencyStore, SqliteIdempotencyStore>();
        return services;
    }

    private static IServiceCollection AddPostgresStores(this IServiceCollection services, string connectionString)
    {
        // Opened (and migrated) when first needed, at start-up, so an unreachable database fails the start.
        services.AddSingleton(_ => new PostgresDatabase(connectionString));
        services.AddSingleton<IBlobStore, PostgresBlobStore>();
        services.AddSingleton<IJobStore, PostgresJobStore>();
        services.AddSingleton<IAccountStore, PostgresAccountStore>();
        services.AddSingleton<IUserStore, PostgresUserStore>();
        services.AddSingleton<IUserChanges, PostgresUserChanges>();
        services.AddSingleton<Webhooks.IDeliveryStore, PostgresDeliveryStore>();
        services.AddSingleton<Webhooks.IIdempotencyStore, PostgresIdempotencyStore>();
        // Each node hears the others' job changes (LISTEN/NOTIFY), so a client may wait on any node.
        services.AddSingleton<PostgresJobChanges>();
        services.AddHostedService(sp => sp.GetRequiredService<PostgresJobChanges>());
        // Registered after the host's own key folder, so the cluster's key ring in the database replaces it.
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(keys => keys.XmlRepository = new PostgresKeyRing(sp.GetRequiredService<PostgresDatabase>())));
        return services;
    }
}

/// <summary>The storage settings name no usable database: the server does not start.</summary>
public sealed class StorageConfigurationException(string message, Exception? inner = null) : Exception(message, inner);
