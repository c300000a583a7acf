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

    public PostgresDatabase(string connectionString)
    {
        DataSource = NpgsqlDataSource.Create(connectionString);
        Migrate();
    }

    public NpgsqlDataSource DataSource { get; }

    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken) => DataSource.OpenConnectionAsync(cancellationToken);

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

    public void Dispose() => DataSource.Dispose();

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
