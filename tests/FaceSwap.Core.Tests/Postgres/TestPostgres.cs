using FaceSwap.Core.Storage.Postgres;
using Npgsql;

namespace FaceSwap.Core.Tests.Postgres;

/// <summary>
/// A fresh database of its own on the test PostgreSQL server, named by the admin connection string in
/// <c>FACESWAP_TEST_POSTGRES</c> (scripts/postgres.sh starts that server); dropped when the test ends.
/// Without the variable, a PostgreSQL test skips and says why.
/// </summary>
public sealed class TestPostgres : IAsyncDisposable
{
    public const string Variable = "FACESWAP_TEST_POSTGRES";

    private readonly string _admin;
    private readonly List<PostgresDatabase> _opened = [];

    private TestPostgres(string admin, string name)
    {
        _admin = admin;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    public string Name { get; }

    /// <summary>The connection string of this test's database, as a node's <c>ConnectionStrings:FaceSwap</c>.</summary>
    public string ConnectionString { get; }

    public static string? AdminConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    /// <summary>Skips the calling test unless a test server is named; else creates an empty database.</summary>
    public static async Task<TestPostgres> CreateAsync()
    {
        var admin = AdminConnectionString;
        Skip.If(admin is null, $"{Variable} is not set (scripts/postgres.sh starts a test server and prints it): the PostgreSQL provider was not tested");
        var name = "faceswap_test_" + Guid.NewGuid().ToString("N");
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync();
        return new TestPostgres(admin!, name);
    }

    /// <summary>A node's handle on the database: its own data source (connection pool), migrated on open.</summary>
    public PostgresDatabase Open()
    {
        var database = new PostgresDatabase(ConnectionString);
        lock (_opened) _opened.Add(database);
        return database;
    }

    /// <summary>
    /// Ends a node's process as a crash would (its sessions close, nothing is cleaned up) and waits until the
    /// server has let go of it: a closed session's locks are dropped a moment after the client leaves.
    /// </summary>
    public async Task EndAsync(PostgresDatabase node)
    {
        await node.DisposeAsync();
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var present = new NpgsqlCommand($"SELECT {PostgresDatabase.IsPresent("@id")}", connection);
        present.Parameters.AddWithValue("id", node.PresenceId);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((bool)(await present.ExecuteScalarAsync())!)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the server still holds the presence of {node.PresenceId}");
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var database in _opened) await database.DisposeAsync();
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
