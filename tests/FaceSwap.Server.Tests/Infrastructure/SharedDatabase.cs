using Npgsql;

namespace FaceSwap.Server.Tests.Infrastructure;

/// <summary>
/// A fresh PostgreSQL database on the tests' server (<c>FACESWAP_TEST_POSTGRES</c>, an admin connection string that
/// scripts/test.sh exports from scripts/postgres.sh), shared by the several nodes of one test. Dropped at the end.
/// </summary>
public sealed class SharedDatabase : IAsyncDisposable
{
    public const string Variable = "FACESWAP_TEST_POSTGRES";

    /// <summary>Why a test of several nodes does not run again in the suite's PostgreSQL run: it always uses PostgreSQL.</summary>
    public const string OnceOnly = "puts its nodes on PostgreSQL itself, so it runs once, in the suite's first run (not again with FACESWAP_TEST_STORAGE=postgres)";

    private readonly string _admin;

    private SharedDatabase(string admin, string name, string connectionString)
    {
        _admin = admin;
        Name = name;
        ConnectionString = connectionString;
    }

    public string Name { get; }
    public string ConnectionString { get; }

    /// <summary>Skips the test, with the reason, when no test PostgreSQL is configured.</summary>
    public static async Task<SharedDatabase> CreateAsync()
    {
        Skip.If(RunningServer.OnPostgres, OnceOnly);
        var admin = Environment.GetEnvironmentVariable(Variable);
        Skip.If(string.IsNullOrWhiteSpace(admin), $"{Variable} is unset: no PostgreSQL to share between nodes (scripts/test.sh starts one with scripts/postgres.sh)");
        var name = "faceswap_nodes_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
        return new SharedDatabase(admin!, name, connectionString);
    }

    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>The settings that put a server on this database.</summary>
    public IEnumerable<KeyValuePair<string, string>> ServerSettings() => new Dictionary<string, string>
    {
        ["FaceSwap:Storage:Provider"] = "postgres",
        ["ConnectionStrings:FaceSwap"] = ConnectionString,
    };

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await using var connection = new NpgsqlConnection(_admin);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException)
        {
            // A database left behind is the test server's to drop; it never hides the test's own outcome.
        }
    }
}
