using System.IO.MemoryMappedFiles;
using Microsoft.Data.Sqlite;

namespace FaceSwap.Core.Storage.Sqlite;

/// <summary>
/// The database's user-change counter (schema version 4): triggers bump it in the same transaction as any
/// revoke, expiry change or delete of a user or token, from this process or another one (the users CLI).
/// A token cache reads it on every request, so it never answers from an entry older than the last revoke.
/// <para>
/// Reading the counter is a read transaction (about 10 µs: file locks on the WAL index), as much as a whole
/// status read should cost. So the first 48 bytes of the WAL index (<c>faceswap.db-shm</c>, the wal-index
/// header of SQLite's documented WAL format) are mapped read-only and compared first: SQLite rewrites that
/// header on every commit of any process before the commit returns, so an unchanged header means nothing
/// was committed since the last read, and the counter read is skipped. A changed (or torn) header only
/// costs one real read. The connection kept open here also keeps the WAL index in place for the mapping.
/// </para>
/// </summary>
public sealed class SqliteUserChanges : IUserChanges, IDisposable
{
    private const int WalIndexHeaderBytes = 48;

    private sealed record Seen(ulong H0, ulong H1, ulong H2, ulong H3, ulong H4, ulong H5, long Version);

    private readonly Lock _gate = new();
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _read;
    private readonly MemoryMappedFile? _walIndex;
    private readonly MemoryMappedViewAccessor? _header;
    private Seen? _seen;

    public SqliteUserChanges(SqliteDatabase database)
    {
        _connection = database.OpenAsync(CancellationToken.None).GetAwaiter().GetResult();
        _read = _connection.CreateCommand();
        _read.CommandText = "SELECT version FROM user_changes WHERE id = 1";
        _read.Prepare();
        _read.ExecuteScalar();
        var walIndexPath = _connection.DataSource + "-shm";
        if (File.Exists(walIndexPath))
        {
            var file = new FileStream(walIndexPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            _walIndex = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            _header = _walIndex.CreateViewAccessor(0, WalIndexHeaderBytes, MemoryMappedFileAccess.Read);
        }
    }

    public ValueTask<long> VersionAsync(CancellationToken cancellationToken) => ValueTask.FromResult(Version());

    /// <summary>The counter as committed now; it only grows.</summary>
    public long Version()
    {
        if (_header is null) return ReadCounter();
        // The header is read before the counter: a commit in between makes the next call read again.
        var h0 = _header.ReadUInt64(0);
        var h1 = _header.ReadUInt64(8);
        var h2 = _header.ReadUInt64(16);
        var h3 = _header.ReadUInt64(24);
        var h4 = _header.ReadUInt64(32);
        var h5 = _header.ReadUInt64(40);
        if (Volatile.Read(ref _seen) is { } seen && seen.H0 == h0 && seen.H1 == h1 && seen.H2 == h2 && seen.H3 == h3 && seen.H4 == h4 && seen.H5 == h5)
            return seen.Version;
        var version = ReadCounter();
        Volatile.Write(ref _seen, new Seen(h0, h1, h2, h3, h4, h5, version));
        return version;
    }

    private long ReadCounter()
    {
        lock (_gate) return (long)_read.ExecuteScalar()!;
    }

    public void Dispose()
    {
        _header?.Dispose();
        _walIndex?.Dispose();
        lock (_gate)
        {
            _read.Dispose();
            _connection.Dispose();
        }
    }
}
