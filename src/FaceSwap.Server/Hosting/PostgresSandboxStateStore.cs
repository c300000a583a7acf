using System.Data;
using Dapper;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Storage.Postgres;
using FaceSwap.Sandbox;
using Npgsql;

namespace FaceSwap.Server.Hosting;

/// <summary>
/// The sandbox's state in a PostgreSQL database: its JSON document in <c>sandbox_states</c> and its files in
/// <c>sandbox_blobs</c>, under the sandbox's key, written in one transaction per save. While the sandbox runs it holds
/// a session-level advisory lock on its key, on the connection its saves use: two sandboxes never write one state
/// (each would overwrite the other's), and the server frees the lock when the process dies.
/// </summary>
public sealed class PostgresSandboxStateStore : ISandboxStateStore
{
    /// <summary>The key of a node's in-process sandbox: one per database, since every node of it would use this key.</summary>
    public const string InProcessKey = "in-process";

    /// <summary>The key of the standalone sandbox (<c>sandbox --postgres</c>), which the nodes of a cluster share.</summary>
    public const string StandaloneKey = "standalone";

    /// <summary>The first half of the two-key advisory lock on a state's key ("Sand" in ASCII).</summary>
    private const int StateLockSpace = 0x53616e64;

    /// <summary>
    /// How long a start waits for the lock before refusing: a process started right after its predecessor was killed
    /// may find the old session still being closed.
    /// </summary>
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(5);

    private readonly string _sessionConnectionString;
    private readonly string _key;
    private readonly string _whenTaken;

    /// <summary>The blobs this key has in the database, so a save writes only new ones and removes only dropped ones.</summary>
    private readonly HashSet<string> _stored = [];

    private NpgsqlConnection? _session;

    private PostgresSandboxStateStore(string connectionString, string key, string whenTaken)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        // Its own session, not pooled: the lock lives as long as this connection, and a keep-alive finds it lost while idle.
        _sessionConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 10 }.ConnectionString;
        _key = key;
        _whenTaken = whenTaken;
        Location = $"PostgreSQL database {target.Database ?? "(default)"} on {target.Host}:{target.Port}, key '{key}'";
    }

    public string Location { get; }

    /// <summary>
    /// Opens the state under <paramref name="key"/>: migrates the schema as a node does, then takes the key's lock.
    /// When another running sandbox holds it, the start stops with <paramref name="whenTaken"/> (what to do about it).
    /// <paramref name="setting"/> names where the connection string came from (default <c>ConnectionStrings:FaceSwap</c>), for
    /// the message when the database cannot be opened.
    /// </summary>
    public static PostgresSandboxStateStore Open(string connectionString, string key, string whenTaken, string? setting = null)
    {
        // Opening the database migrates its schema (and refuses one that cannot be reached), as a node's start does.
        PostgresDatabase.EnsureSchema(connectionString, setting);
        var store = new PostgresSandboxStateStore(connectionString, key, whenTaken);
        try
        {
            store.Session();
            return store;
        }
        catch (NpgsqlException e)
        {
            store.Dispose();
            throw new StorageConfigurationException($"cannot open the sandbox's state in {store.Location}: {e.Message}", e);
        }
    }

    public SandboxStateDocument? Load()
    {
        var session = Session();
        using var transaction = session.BeginTransaction(IsolationLevel.RepeatableRead);
        var json = session.QuerySingleOrDefault<string>("SELECT document FROM sandbox_states WHERE key = @Key", new { Key = _key }, transaction);
        if (json is null) return null;
        var blobs = new Dictionary<string, byte[]>();
        using (var command = new NpgsqlCommand("SELECT hash, content FROM sandbox_blobs WHERE state_key = $1", session, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = _key });
            using var reader = command.ExecuteReader();
            while (reader.Read()) blobs[reader.GetString(0)] = reader.GetFieldValue<byte[]>(1);
        }
        transaction.Commit();
        _stored.Clear();
        _stored.UnionWith(blobs.Keys);
        return new SandboxStateDocument(json, blobs);
    }

    public void Save(SandboxStateDocument state)
    {
        var session = Session();
        var added = state.Blobs.Where(blob => !_stored.Contains(blob.Key)).ToArray();
        var removed = _stored.Where(name => !state.Blobs.ContainsKey(name)).ToArray();
        using (var transaction = session.BeginTransaction())
        {
            session.Execute("""
                INSERT INTO sandbox_states (key, document, saved) VALUES (@Key, @Json, now())
                ON CONFLICT (key) DO UPDATE SET document = excluded.document, saved = excluded.saved
                """, new { Key = _key, state.Json }, transaction);
            if (added.Length > 0)
            {
                using var insert = new NpgsqlCommand("""
                    INSERT INTO sandbox_blobs (state_key, hash, content) SELECT $1, hash, content FROM unnest($2::text[], $3::bytea[]) AS blob(hash, content)
                    ON CONFLICT DO NOTHING
                    """, session, transaction);
                insert.Parameters.Add(new NpgsqlParameter { Value = _key });
                insert.Parameters.Add(new NpgsqlParameter { Value = added.Select(blob => blob.Key).ToArray() });
                insert.Parameters.Add(new NpgsqlParameter { Value = added.Select(blob => blob.Value).ToArray() });
                insert.ExecuteNonQuery();
            }
            if (removed.Length > 0)
                session.Execute("DELETE FROM sandbox_blobs WHERE state_key = @Key AND hash = ANY(@removed)", new { Key = _key, removed }, transaction);
            transaction.Commit();
        }
        _stored.UnionWith(added.Select(blob => blob.Key));
        _stored.ExceptWith(removed);
    }

    /// <summary>The locked session; a lost one (the database restarted, the network dropped) is opened and locked again.</summary>
    private NpgsqlConnection Session()
    {
        if (_session is { State: ConnectionState.Open }) return _session;
        _session?.Dispose();
        _session = null;
        var connection = new NpgsqlConnection(_sessionConnectionString);
        try
        {
            connection.Open();
            connection.Execute($"SET lock_timeout = {(int)LockWait.TotalMilliseconds}");
            try
            {
                connection.Execute("SELECT pg_advisory_lock(@StateLockSpace, hashtext(@Key))", new { StateLockSpace, Key = _key });
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
            {
                throw new StorageConfigurationException($"another running sandbox holds the sandbox state in {Location}: {_whenTaken}");
            }
            connection.Execute("RESET lock_timeout");
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        _session = connection;
        return connection;
    }

    public void Dispose()
    {
        // Closing the session frees the lock.
        _session?.Dispose();
        _session = null;
    }
}
