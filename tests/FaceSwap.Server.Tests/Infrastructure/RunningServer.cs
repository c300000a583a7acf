using System.Collections.Concurrent;
using System.Data.Common;
using System.Net.Http.Headers;
using System.Text;
using Dapper;
using FaceSwap.Core.Accounts;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Users;
using FaceSwap.Server.Cli;
using FaceSwap.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace FaceSwap.Server.Tests.Infrastructure;

/// <summary>
/// The real server on a real loopback port, with its own data folder. With <c>FACESWAP_TEST_STORAGE=postgres</c>
/// (scripts/test.sh's second run of this suite) its stores are on PostgreSQL: a database of its own on the
/// server that <c>FACESWAP_TEST_POSTGRES</c> names, the same one again when a test restarts on the same folder.
/// </summary>
public sealed class RunningServer : IAsyncDisposable
{
    public const string Token = "test-bootstrap-token-0123456789";

    /// <summary>Whether this run of the suite keeps its stores on PostgreSQL.</summary>
    public static bool OnPostgres { get; } = Environment.GetEnvironmentVariable("FACESWAP_TEST_STORAGE") == "postgres";

    /// <summary>Why a test that reads or writes the SQLite file itself does not run on PostgreSQL.</summary>
    public const string SqliteOnly = "reads the SQLite file itself: this run keeps the stores on PostgreSQL (FACESWAP_TEST_STORAGE=postgres)";

    /// <summary>The database of each data folder, so a restarted server finds what it stored.</summary>
    private static readonly ConcurrentDictionary<string, Lazy<Task<string>>> Databases = new();

    private ServiceProvider? _cliStorage;

    private RunningServer(WebApplication app, string dataDir, Uri baseUrl, IReadOnlyList<string> storageArguments)
    {
        App = app;
        DataDir = dataDir;
        BaseUrl = baseUrl;
        StorageArguments = storageArguments;
        Client = CreateClient(Token);
    }

    public WebApplication App { get; }
    public string DataDir { get; }
    public Uri BaseUrl { get; }
    public HttpClient Client { get; }

    /// <summary>The command-line settings that put another process (the users CLI, a second node) on this server's stores.</summary>
    public IReadOnlyList<string> StorageArguments { get; }

    /// <summary>
    /// The settings that put a server on <paramref name="dataDir"/>'s stores: none on SQLite (the file is in the
    /// folder); on PostgreSQL, the provider and the connection string of the folder's database, created on first use.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, string>> StorageSettingsAsync(string dataDir)
    {
        if (!OnPostgres) return new Dictionary<string, string>();
        return new Dictionary<string, string>
        {
            ["FaceSwap:Storage:Provider"] = "postgres",
            ["ConnectionStrings:FaceSwap"] = await PostgresDatabaseAsync(dataDir),
        };
    }

    /// <summary><see cref="StorageSettingsAsync"/> as command-line arguments.</summary>
    public static async Task<IReadOnlyList<string>> StorageArgumentsAsync(string dataDir) =>
        (await StorageSettingsAsync(dataDir)).Select(s => $"--{s.Key}={s.Value}").ToList();

    private static Task<string> PostgresDatabaseAsync(string dataDir) =>
        Databases.GetOrAdd(Path.GetFullPath(dataDir), _ => new Lazy<Task<string>>(CreateDatabaseAsync)).Value;

    /// <summary>
    /// Several nodes of one cluster, started at once on a fresh PostgreSQL database: each its own process state and
    /// data folder, the stores shared.
    /// </summary>
    public static async Task<RunningServer[]> StartClusterAsync(int nodes, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        if (!OnPostgres) throw new InvalidOperationException("Nodes share their stores on PostgreSQL only");
        var folders = Enumerable.Range(0, nodes).Select(_ => NewDataDir()).ToList();
        var database = PostgresDatabaseAsync(folders[0]);
        foreach (var folder in folders.Skip(1)) Databases[Path.GetFullPath(folder)] = new Lazy<Task<string>>(database);
        await database;
        return await Task.WhenAll(folders.Select(folder => StartAsync(settings, services, folder)));
    }

    private static string NewDataDir() => Path.Combine(Path.GetTempPath(), "faceswap-tests", Guid.NewGuid().ToString("N"));

    private static async Task<string> CreateDatabaseAsync()
    {
        var admin = Environment.GetEnvironmentVariable("FACESWAP_TEST_POSTGRES");
        if (string.IsNullOrEmpty(admin))
            throw new InvalidOperationException("FACESWAP_TEST_STORAGE=postgres needs FACESWAP_TEST_POSTGRES: start one with scripts/postgres.sh");
        var name = "faceswap_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public static async Task<RunningServer> StartAsync(
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null,
        string? dataDir = null)
    {
        dataDir ??= NewDataDir();
        var storage = await StorageArgumentsAsync(dataDir);
        var args = new List<string> { "--urls", "http://127.0.0.1:0", $"--FaceSwap:DataDir={dataDir}", $"--FaceSwap:Auth:BootstrapToken={Token}", "--FaceSwap:Sandbox:Enabled=false", "--FaceSwap:Local:BootstrapChannel=false" };
        args.AddRange(storage);
        var app = await ServerHost.BuildAsync(args.ToArray(), builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
            services?.Invoke(builder.Services);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RunningServer(app, dataDir, new Uri(address), storage);
    }

    /// <summary>The test's own connection to this server's database (the SQLite file, or its PostgreSQL database), to see what is stored.</summary>
    public async Task<DbConnection> OpenDatabaseAsync()
    {
        DbConnection connection = OnPostgres
            ? new NpgsqlConnection(new NpgsqlConnectionStringBuilder(await PostgresDatabaseAsync(DataDir)) { Pooling = false }.ConnectionString)
            : new SqliteConnection($"Data Source={Path.Combine(DataDir, "faceswap.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>How many files the blob store holds.</summary>
    public async Task<long> BlobCountAsync()
    {
        if (OnPostgres)
        {
            await using var connection = await OpenDatabaseAsync();
            return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM blobs");
        }
        var blobs = Path.Combine(DataDir, "blobs");
        return Directory.Exists(blobs) ? Directory.GetFiles(blobs, "*", SearchOption.AllDirectories).Length : 0;
    }

    /// <summary>
    /// Everything the database holds, as text, to look for secrets that must not be there in clear: on SQLite the
    /// file and its WAL (stop the server first), on PostgreSQL every row of every table.
    /// </summary>
    public async Task<string> StoredTextAsync()
    {
        if (OnPostgres)
        {
            await using var connection = await OpenDatabaseAsync();
            var tables = await connection.QueryAsync<string>("SELECT quote_ident(table_name) FROM information_schema.tables WHERE table_schema = 'public'");
            var text = new StringBuilder();
            foreach (var table in tables)
                text.AppendLine(await connection.ExecuteScalarAsync<string>($"SELECT string_agg(t::text, E'\\n') FROM {table} t"));
            return text.ToString();
        }
        var database = await File.ReadAllBytesAsync(Path.Combine(DataDir, "faceswap.db"));
        var wal = Path.Combine(DataDir, "faceswap.db-wal");
        return Encoding.UTF8.GetString(database.Concat(File.Exists(wal) ? await File.ReadAllBytesAsync(wal) : []).ToArray());
    }

    /// <summary>The users CLI's own handle on this server's user store, opened as that process opens it.</summary>
    public IUserStore CliUserStore() => (_cliStorage ??= UsersCommand.OpenStorage(App.Configuration)).GetRequiredService<IUserStore>();

    public HttpClient CreateClient(string? token)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl, "/v1/faceswap/"), Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task<long> BootstrapUserIdAsync() =>
        (await Service<IUserStore>().FindByTokenHashAsync(ApiTokens.Hash(Token), CancellationToken.None))!.Value.User.Id;

    /// <summary>A second user with their own token, to check isolation and subscriptions.</summary>
    public async Task<(User User, string Token)> AddUserAsync(string name, DateTimeOffset? expires = null)
    {
        var store = Service<IUserStore>();
        var user = await store.AddUserAsync(name, expires, CancellationToken.None);
        var token = ApiTokens.Generate();
        await store.AddTokenAsync(user.Id, ApiTokens.Hash(token), ApiTokens.Hint(token), CancellationToken.None);
        return (user, token);
    }

    public Task AddAccountAsync(long userId, string channel, string engine, string? server = null, string? discordToken = null) =>
        Service<IAccountStore>().UpsertAsync(new Account
        {
            UserId = userId, Channel = channel, Engine = engine, Server = server, DiscordToken = discordToken, Created = DateTimeOffset.UtcNow,
        }, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_cliStorage is not null) await _cliStorage.DisposeAsync();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
