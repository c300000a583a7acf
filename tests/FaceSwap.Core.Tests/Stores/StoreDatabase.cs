using Dapper;
using FaceSwap.Core.Accounts;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Storage.Postgres;
using FaceSwap.Core.Storage.Sqlite;
using FaceSwap.Core.Tests.Postgres;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;

namespace FaceSwap.Core.Tests.Stores;

/// <summary>What one node (or one process, such as the users CLI) opens on a database.</summary>
public sealed record StoreHandle(IUserStore Users, IUserChanges Changes, IAccountStore Accounts, IBlobStore Blobs);

/// <summary>
/// One empty database on either storage provider, which a test opens as many times as it has nodes. The
/// contract tests run the same assertions on both.
/// </summary>
public abstract class StoreDatabase : IAsyncDisposable
{
    /// <summary>The nodes share Data Protection keys, as a cluster's nodes must to read each other's secrets.</summary>
    protected DiscordTokenProtector Protector { get; } = new(new EphemeralDataProtectionProvider());

    /// <summary>A new handle of its own, as another process would open it.</summary>
    public abstract StoreHandle Open();

    /// <summary>One value read with plain SQL, to see what is stored as it is stored.</summary>
    public abstract Task<T?> ScalarAsync<T>(string sql);

    public abstract ValueTask DisposeAsync();
}

public sealed class SqliteStoreDatabase : StoreDatabase
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "faceswap-core-tests", Guid.NewGuid().ToString("N"));
    private readonly List<IDisposable> _opened = [];

    private string FilePath => Path.Combine(_folder, "faceswap.db");

    public override StoreHandle Open()
    {
        var database = new SqliteDatabase(FilePath);
        var changes = new SqliteUserChanges(database);
        _opened.Add(changes);
        return new StoreHandle(new SqliteUserStore(database), changes, new SqliteAccountStore(database, Protector),
            new FileBlobStore(Path.Combine(_folder, "blobs")));
    }

    public override async Task<T?> ScalarAsync<T>(string sql) where T : default
    {
        await using var connection = new SqliteConnection($"Data Source={FilePath};Pooling=False");
        return await connection.ExecuteScalarAsync<T>(sql);
    }

    public override ValueTask DisposeAsync()
    {
        foreach (var opened in _opened) opened.Dispose();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}

public sealed class PostgresStoreDatabase : StoreDatabase
{
    private readonly TestPostgres _server;

    private PostgresStoreDatabase(TestPostgres server) => _server = server;

    /// <summary>Skips the calling test when no test PostgreSQL is named (FACESWAP_TEST_POSTGRES).</summary>
    public static async Task<StoreDatabase> CreateAsync() => new PostgresStoreDatabase(await TestPostgres.CreateAsync());

    public override StoreHandle Open()
    {
        var database = _server.Open();
        return new StoreHandle(new PostgresUserStore(database), new PostgresUserChanges(database), new PostgresAccountStore(database, Protector),
            new PostgresBlobStore(database));
    }

    public override async Task<T?> ScalarAsync<T>(string sql) where T : default
    {
        var database = _server.Open();
        await using var connection = await database.OpenAsync(CancellationToken.None);
        return await connection.ExecuteScalarAsync<T>(sql);
    }

    public override ValueTask DisposeAsync() => _server.DisposeAsync();
}
