using Dapper;
using Npgsql;

namespace FaceSwap.Core.Storage.Postgres;

/// <summary>
/// The shared database of a cluster: every node opens the same PostgreSQL database through its own pooled
/// <see cref="NpgsqlDataSource"/>. The schema is migrated in code when a node opens it, under a session-level
/// advisory lock, so nodes starting at once migrate once: the first applies what is missing, the others wait
/// for it and then find nothing left to do.
/// </summary>
public sealed class PostgresDatabase : IDisposable, IAsyncDisposable
{
    /// <summary>The advisory lock key that serializes migrations ("FaceSwap" in ASCII): one-key form.</summary>
    private const long MigrationLock = 0x4661636553776170;

    /// <summary>
    /// The first half of the two-key advisory locks that serialize work on one (user, channel) lane; the
    /// two-key form never conflicts with the one-key <see cref="MigrationLock"/>.
    /// </summary>
    internal const int LaneLockSpace = 0x4c616e65;

    /// <summary>The first half of the two-key advisory locks that say a process is alive (see <see cref="EnsurePresentAsync"/>).</summary>
    private const int PresenceLockSpace = 0x4e6f6465;

    private readonly SemaphoreSlim _presenceGate = new(1, 1);
    private NpgsqlConnection? _presence;

    /// <summary>The presence session's own settings: a keep-alive query finds a lost session (and lock) while idle.</summary>
    private readonly string _presenceConnectionString;

    /// <param name="connectionString">The database's connection string.</param>
    /// <param name="setting">Where it was set, named when it cannot be opened (default <c>ConnectionStrings:FaceSwap</c>).</param>
    public PostgresDatabase(string connectionString, string? setting = null)
    {
        DataSource = NpgsqlDataSource.Create(WithStatementsPrepared(connectionString));
        _presenceConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { KeepAlive = 10, Pooling = false }.ConnectionString;
        try
        {
            Migrate();
        }
        catch (NpgsqlException e)
        {
            DataSource.Dispose();
            // Where it tried (never the password) and what the server or network said: a setting to fix at start-up.
            var target = new NpgsqlConnectionStringBuilder(connectionString);
            throw new StorageConfigurationException(
                $"cannot open the PostgreSQL database {target.Database ?? "(default)"} on {target.Host}:{target.Port} as {target.Username ?? "(default user)"} " +
                $"({setting ?? $"ConnectionStrings:{StorageProvider.ConnectionStringName}"}): {e.Message}", e);
        }
    }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>The statements a pooled connection prepares, when the connection string does not say (<c>Max Auto Prepare</c>).</summary>
    private const int AutoPreparedStatements = 64;

    /// <summary>
    /// The same few statements run thousands of times a second (a status read, a claim, an insert, a heartbeat):
    /// prepared on each pooled connection once it has run them a few times, PostgreSQL parses and plans them once
    /// instead of on every call. Npgsql prepares nothing unless told to; an operator's own <c>Max Auto Prepare</c>
    /// (0 turns it off) is kept.
    /// </summary>
    private static string WithStatementsPrepared(string connectionString)
    {
        // The keys as written (Npgsql's own builder says it contains every key it knows), in Npgsql's spelling-blind form.
        var written = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(key => key.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant());
        if (written.Contains("maxautoprepare")) return connectionString;
        return new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = AutoPreparedStatements }.ConnectionString;
    }

    /// <summary>Brings the database's schema up to date (as a node's start does) for a process that keeps no stores open.</summary>
    public static void EnsureSchema(string connectionString, string? setting = null)
    {
        using var database = new PostgresDatabase(connectionString, setting);
    }

    /// <summary>
    /// This process as the owner of rows that only a live process may hold (a running Idempotency-Key). It is
    /// alive, for every node, while it holds a session-level advisory lock on this id: the server drops the lock
    /// when the process dies, with no clock involved.
    /// </summary>
    public string PresenceId { get; } = Guid.NewGuid().ToString("N");

    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken) => DataSource.OpenConnectionAsync(cancellationToken);

    /// <summary>
    /// False for text that PostgreSQL cannot hold (a NUL character, which a request can carry, e.g. <c>?jobid=%00</c>):
    /// such a key names nothing stored, and a lookup answers "not found" instead of sending it (which fails).
    /// </summary>
    public static bool CanHold(string text) => !text.Contains('\0');

    /// <summary>
    /// An SQL condition, true when the process whose <see cref="PresenceId"/> is in <paramref name="ownerColumn"/>
    /// still holds its presence lock on this database.
    /// </summary>
    public static string IsPresent(string ownerColumn) =>
        "EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2" +
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())" +
        $" AND classid = {PresenceLockSpace} AND objid = hashtext({ownerColumn})::oid)";

    /// <summary>
    /// Takes this process's presence lock on a connection kept open for it, before the process writes rows that
    /// name it; takes it again if that connection was lost (its keep-alive finds that out within seconds).
    /// </summary>
    public async Task EnsurePresentAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _presence) is { State: System.Data.ConnectionState.Open }) return;
        await _presenceGate.WaitAsync(cancellationToken);
        try
        {
            if (_presence is { State: System.Data.ConnectionState.Open }) return;
            if (_presence is not null) await _presence.DisposeAsync();
            var connection = new NpgsqlConnection(_presenceConnectionString);
            await connection.OpenAsync(cancellationToken);
            await connection.ExecuteAsync($"SELECT pg_advisory_lock({PresenceLockSpace}, hashtext(@PresenceId))", new { PresenceId });
            Volatile.Write(ref _presence, connection);
        }
        finally
        {
            _presenceGate.Release();
        }
    }

    private void Migrate()
    {
        using var connection = DataSource.OpenConnection();
        // Session-level: held across the migrations' own transactions, and freed by the server if this process dies.
        connection.Execute("SELECT pg_advisory_lock(@MigrationLock)", new { MigrationLock });
        try
        {
            connection.Execute("CREATE TABLE IF NOT EXISTS schema_migrations (version bigint PRIMARY KEY, applied timestamptz NOT NULL)");
            var applied = connection.Query<long>("SELECT version FROM schema_migrations").ToHashSet();
            foreach (var (version, sql) in PostgresSchema.Migrations)
            {
                if (applied.Contains(version)) continue;
                using var transaction = connection.BeginTransaction();
                connection.Execute(sql, transaction: transaction);
                connection.Execute("INSERT INTO schema_migrations (version, applied) VALUES (@version, now())", new { version }, transaction);
                transaction.Commit();
            }
        }
        finally
        {
            connection.Execute("SELECT pg_advisory_unlock(@MigrationLock)", new { MigrationLock });
        }
    }

    public void Dispose()
    {
        _presence?.Dispose();
        DataSource.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (_presence is not null) await _presence.DisposeAsync();
        await DataSource.DisposeAsync();
    }
}
