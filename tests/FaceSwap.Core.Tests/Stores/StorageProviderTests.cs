using System.Net;
using System.Net.Sockets;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Storage.Postgres;
using FaceSwap.Core.Storage.Sqlite;
using FaceSwap.Core.Tests.Infrastructure;
using FaceSwap.Core.Tests.Postgres;
using FaceSwap.Core.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FaceSwap.Core.Tests.Stores;

/// <summary>FaceSwap:Storage:Provider and ConnectionStrings:FaceSwap as the server reads them at start-up.</summary>
public sealed class StorageProviderTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "faceswap-core-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }

    private ServiceProvider Build(Dictionary<string, string?> settings) =>
        new ServiceCollection().AddLogging()
            .AddFaceSwapCore(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), _dataDir)
            .BuildServiceProvider();

    [Fact]
    public async Task Without_a_setting_every_store_is_sqlite_in_the_data_folder()
    {
        await using var services = Build([]);

        Assert.IsType<SqliteJobStore>(services.GetRequiredService<IJobStore>());
        Assert.IsType<SqliteDeliveryStore>(services.GetRequiredService<IDeliveryStore>());
        Assert.IsType<SqliteIdempotencyStore>(services.GetRequiredService<IIdempotencyStore>());
        Assert.IsType<SqliteUserStore>(services.GetRequiredService<IUserStore>());
        Assert.IsType<FileBlobStore>(services.GetRequiredService<IBlobStore>());
        Assert.True(File.Exists(Path.Combine(_dataDir, "faceswap.db")));
    }

    [Fact]
    public void Postgres_without_a_connection_string_stops_the_start_and_says_what_to_set()
    {
        var error = Assert.Throws<StorageConfigurationException>(() => Build(new() { ["FaceSwap:Storage:Provider"] = "postgres" }));

        Assert.Contains("ConnectionStrings:FaceSwap", error.Message);
        Assert.Contains("ConnectionStrings__FaceSwap", error.Message);
        Assert.False(File.Exists(Path.Combine(_dataDir, "faceswap.db")));
    }

    [Fact]
    public void An_unknown_provider_stops_the_start_and_names_the_known_ones()
    {
        var error = Assert.Throws<StorageConfigurationException>(() => Build(new() { ["FaceSwap:Storage:Provider"] = "mysql" }));

        Assert.Contains("'mysql'", error.Message);
        Assert.Contains("sqlite", error.Message);
        Assert.Contains("postgres", error.Message);
    }

    [Fact]
    public async Task An_unreachable_database_stops_the_start_and_says_where_it_looked_without_the_password()
    {
        // A port nothing listens on, for the whole test: this test's own socket, bound and never listening, so a
        // connection is refused and no one else can bind the port meanwhile (as they could a listener's, closed again).
        using var bound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        bound.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)bound.LocalEndPoint!).Port;
        await using var services = Build(new()
        {
            ["FaceSwap:Storage:Provider"] = "postgres",
            ["ConnectionStrings:FaceSwap"] = $"Host=127.0.0.1;Port={port};Database=faceswap;Username=app;Password=hunter2;Timeout=5",
        });

        var error = Assert.Throws<StorageConfigurationException>(() => services.GetRequiredService<IJobStore>());

        Assert.Contains($"faceswap on 127.0.0.1:{port} as app", error.Message);
        Assert.Contains("ConnectionStrings:FaceSwap", error.Message);
        Assert.DoesNotContain("hunter2", error.Message);
    }

    [SkippableFact]
    public async Task Postgres_with_a_connection_string_puts_every_store_in_that_database()
    {
        await using var server = await TestPostgres.CreateAsync();
        await using var services = Build(new()
        {
            ["FaceSwap:Storage:Provider"] = "Postgres",
            ["ConnectionStrings:FaceSwap"] = server.ConnectionString,
        });

        var jobs = Assert.IsType<PostgresJobStore>(services.GetRequiredService<IJobStore>());
        Assert.IsType<PostgresDeliveryStore>(services.GetRequiredService<IDeliveryStore>());
        Assert.IsType<PostgresIdempotencyStore>(services.GetRequiredService<IIdempotencyStore>());
        Assert.IsType<PostgresUserStore>(services.GetRequiredService<IUserStore>());
        Assert.IsType<PostgresBlobStore>(services.GetRequiredService<IBlobStore>());
        var user = await services.GetRequiredService<IUserStore>().AddUserAsync("ann", null, CancellationToken.None);
        var job = TestJobs.New(user.Id, "c", DateTimeOffset.UtcNow);
        await jobs.InsertAsync(job, false, CancellationToken.None);

        // Another node on the same settings sees it; nothing went to the data folder.
        await using var other = Build(new() { ["FaceSwap:Storage:Provider"] = "postgres", ["ConnectionStrings:FaceSwap"] = server.ConnectionString });
        Assert.Equal(job.Id, (await other.GetRequiredService<IJobStore>().FindAsync(job.Id, CancellationToken.None)).Job?.Id);
        Assert.False(File.Exists(Path.Combine(_dataDir, "faceswap.db")));
    }
}
