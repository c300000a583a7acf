using System.Runtime.CompilerServices;
using Dapper;
using Microsoft.Data.Sqlite;

namespace FaceSwap.Core.Storage.Sqlite;

/// <summary>
/// The embedded database: one SQLite file in WAL mode, schema migrated in code at start-up. Each store
/// call opens a pooled connection, so callers on many threads never share one.
/// <para>
/// Durability is a group commit: connections commit with <c>synchronous=NORMAL</c> (the commit is written to
/// the WAL, not yet synced), and a connection that wrote syncs the WAL when it is disposed, before the store
/// call returns: one <c>fsync</c> covers every commit made before it started, however many requests committed
/// meanwhile. A committed job thus survives a killed process and a lost machine alike (as with
/// <c>synchronous=FULL</c>), and N concurrent submits cost about one sync instead of N. A connection is kept
/// open for the database's life so the WAL file that is synced is the one SQLite writes.
/// </para>
/// </summary>
public sealed class SqliteDatabase
{
    private readonly string _connectionString;
    private readonly SqliteConnection _keeper;
    private readonly WalSync _walSync;
    /// <summary>Pooled physical connections already set up (pragmas are per connection and stay set).</summary>
    private readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> _setUp = new();

    public SqliteDatabase(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        Migrate();
        _keeper = new SqliteConnection(_connectionString);
        _keeper.Open();
        _keeper.ExecuteScalar("SELECT count(*) FROM schema_migrations");
        _walSync = new WalSync(_keeper.DataSource + "-wal");
    }

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new DurableConnection(_connectionString, _walSync);
        await connection.OpenAsync(cancellationToken);
        if (!_setUp.TryGetValue(connection.Handle!, out _))
        {
            await connection.ExecuteAsync("PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
            _setUp.AddOrUpdate(connection.Handle!, connection.Handle!);
        }
        connection.Opened();
        return connection;
    }

    /// <summary>A pooled connection that makes what it committed durable when it is disposed.</summary>
    private sealed class DurableConnection(string connectionString, WalSync walSync) : SqliteConnection(connectionString)
    {
        private int _changesAtOpen;
        private bool _synced;

        public void Opened() => _changesAtOpen = SQLitePCL.raw.sqlite3_total_changes(Handle);

        private bool Wrote() => State == System.Data.ConnectionState.Open && SQLitePCL.raw.sqlite3_total_changes(Handle) != _changesAtOpen;

        public override async ValueTask DisposeAsync()
        {
            var wrote = !_synced && Wrote();
            _synced = true;
            base.Dispose();
            if (wrote) await walSync.SyncAsync();
        }

        protected override void Dispose(bool disposing)
        {
            var wrote = disposing && !_synced && Wrote();
            _synced = true;
            base.Dispose(disposing);
            if (wrote) walSync.SyncAsync().GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// Syncs the WAL for every commit made before the sync starts: callers take a ticket after committing;
    /// one caller at a time syncs, up to the last ticket taken when it starts, and callers whose ticket a
    /// finished sync covers return at once.
    /// </summary>
    private sealed class WalSync(string walPath)
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private FileStream? _wal;
        private long _tickets;
        private long _synced;

        public async Task SyncAsync()
        {
            var ticket = Interlocked.Increment(ref _tickets);
            await _gate.WaitAsync();
            try
            {
                if (Volatile.Read(ref _synced) >= ticket) return;
                var upTo = Volatile.Read(ref _tickets);
                _wal ??= new FileStream(walPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
                _wal.Flush(flushToDisk: true);
                Volatile.Write(ref _synced, upTo);
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    private void Migrate()
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        connection.Execute("PRAGMA journal_mode = WAL;");
        connection.Execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied TEXT NOT NULL)");
        var applied = connection.Query<long>("SELECT version FROM schema_migrations").ToHashSet();
        foreach (var (version, sql) in SqliteSchema.Migrations)
        {
            if (applied.Contains(version)) continue;
            using var transaction = connection.BeginTransaction();
            connection.Execute(sql, transaction: transaction);
            connection.Execute("INSERT INTO schema_migrations (version, applied) VALUES (@version, @applied)",
                new { version, applied = DateTimeOffset.UtcNow.ToString("O") }, transaction);
            transaction.Commit();
        }
    }
}

/// <summary>Schema versions in order; a released migration is never edited, only followed by a new one.</summary>
internal static class SqliteSchema
{
    public static readonly (long Version, string Sql)[] Migrations =
    [
        (1, """
            CREATE TABLE users (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                name TEXT NOT NULL UNIQUE,
                created TEXT NOT NULL,
                expires TEXT NULL
            );
            CREATE TABLE api_tokens (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                user_id INTEGER NOT NULL REFERENCES users(id),
                hash TEXT NOT NULL UNIQUE,
                hint TEXT NOT NULL,
                created TEXT NOT NULL,
                revoked TEXT NULL
            );
            CREATE TABLE accounts (
                user_id INTEGER NOT NULL REFERENCES users(id),
                channel TEXT NOT NULL,
                engine TEXT NOT NULL,
                server TEXT NULL,
                discord_token_protected TEXT NULL,
                credits_json TEXT NULL,
                health TEXT NOT NULL,
                health_detail TEXT NULL,
                created TEXT NOT NULL,
                PRIMARY KEY (user_id, channel)
            );
            CREATE TABLE jobs (
                id TEXT PRIMARY KEY,
                user_id INTEGER NOT NULL,
                channel TEXT NOT NULL,
                status TEXT NOT NULL,
                blocking INTEGER NOT NULL,
                created_ms INTEGER NOT NULL,
                updated_ms INTEGER NOT NULL,
                lease_owner TEXT NULL,
                lease_until_ms INTEGER NULL,
                expired INTEGER NOT NULL DEFAULT 0,
                data TEXT NULL
            );
            CREATE INDEX jobs_executing ON jobs (user_id, channel) WHERE status IN ('created','started','progress');
            CREATE INDEX jobs_lease ON jobs (lease_until_ms) WHERE status IN ('created','started','progress');
            CREATE INDEX jobs_created ON jobs (created_ms) WHERE expired = 0;
            CREATE TABLE attachments (
                id TEXT PRIMARY KEY,
                job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                data TEXT NOT NULL
            );
            """),
        (2, """
            ALTER TABLE users ADD COLUMN reply_url TEXT NULL;
            ALTER TABLE users ADD COLUMN webhook_secret TEXT NULL;
            ALTER TABLE users ADD COLUMN webhook_secret_previous TEXT NULL;
            ALTER TABLE users ADD COLUMN webhook_secret_previous_until_ms INTEGER NULL;
            CREATE TABLE deliveries (
                id TEXT PRIMARY KEY,
                job_id TEXT NOT NULL,
                user_id INTEGER NOT NULL,
                url TEXT NOT NULL,
                event TEXT NOT NULL,
                job_snapshot TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_ms INTEGER NOT NULL,
                created_ms INTEGER NOT NULL,
                lease_owner TEXT NULL,
                lease_until_ms INTEGER NULL
            );
            CREATE INDEX deliveries_due ON deliveries (next_attempt_ms) WHERE state = 'pending';
            CREATE INDEX deliveries_job ON deliveries (job_id);
            CREATE TABLE delivery_attempts (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                delivery_id TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
                at_ms INTEGER NOT NULL,
                http_status INTEGER NULL,
                error TEXT NULL,
                duration_ms INTEGER NOT NULL
            );
            CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id);
            CREATE TABLE idempotency_keys (
                user_id INTEGER NOT NULL,
                key TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                state TEXT NOT NULL,
                job_id TEXT NULL,
                created_ms INTEGER NOT NULL,
                PRIMARY KEY (user_id, key)
            );
            """),
        (3, """
            ALTER TABLE accounts ADD COLUMN health_changed TEXT NULL;
            """),
        // Exactly-once claims: a job is inserted unclaimed and taken by one owner-checked claim, which
        // counts its attempts; the status column is the only copy of the status (old documents lose theirs).
        (4, """
            ALTER TABLE jobs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE jobs ADD COLUMN max_attempts INTEGER NOT NULL DEFAULT 3;
            UPDATE jobs SET data = json_remove(data, '$.status') WHERE data IS NOT NULL;
            CREATE INDEX jobs_lanes ON jobs (user_id, channel, created_ms) WHERE status IN ('created','started','progress');
            """),
        (5, """
            ALTER TABLE users ADD COLUMN reply_events INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE api_tokens ADD COLUMN origin TEXT NULL;
            """),
        // Any change that can turn an accepted token away (revoke, expiry, delete) bumps one counter, in the
        // same transaction, whoever writes it (the server or the users CLI): token caches compare it per request.
        (6, """
            CREATE TABLE user_changes (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
            INSERT INTO user_changes (id, version) VALUES (1, 0);
            CREATE TRIGGER users_expires_changed AFTER UPDATE OF expires ON users
                BEGIN UPDATE user_changes SET version = version + 1; END;
            CREATE TRIGGER users_deleted AFTER DELETE ON users
                BEGIN UPDATE user_changes SET version = version + 1; END;
            CREATE TRIGGER api_tokens_changed AFTER UPDATE OF revoked, hash, user_id ON api_tokens
                BEGIN UPDATE user_changes SET version = version + 1; END;
            CREATE TRIGGER api_tokens_deleted AFTER DELETE ON api_tokens
                BEGIN UPDATE user_changes SET version = version + 1; END;
            """),
        // A user's jobs newest first (the dashboard's list), paged by (created_ms, id).
        (7, """
            CREATE INDEX jobs_user_recent ON jobs (user_id, created_ms DESC, id DESC) WHERE expired = 0;
            """),
        // The newest answer any job of a channel recorded (IJobStore.NewestMessageIdAsync), read once per command sent.
        (8, """
            CREATE INDEX jobs_channel_message ON jobs (channel, length(json_extract(data, '$.upstream.messageId')), json_extract(data, '$.upstream.messageId'))
                WHERE json_extract(data, '$.upstream.messageId') IS NOT NULL;
            """),
        // A lane's live leases, which a claim and a heartbeat check without reading the lane's whole backlog; only
        // leased executing jobs are in it, so an insert does not touch it.
        (9, """
            CREATE INDEX jobs_lane_leases ON jobs (user_id, channel) WHERE status IN ('created','started','progress') AND lease_owner IS NOT NULL;
            """),
        // Every index is written by each commit that changes its columns, and each commit writes its pages to the WAL
        // whole: these two no query needs. jobs_executing (user_id, channel, then rowid) serves every lane read in
        // the lane's order; no query looks leases up by their end alone.
        (10, """
            DROP INDEX jobs_lanes;
            DROP INDEX jobs_lease;
            """),
    ];
}
