using Npgsql;

namespace FaceSwap.Core.Storage.Postgres;

/// <summary>
/// The user-change counter on PostgreSQL (the <c>user_changes</c> row, bumped by triggers in the writer's own
/// transaction). A revoke committed by another node or the users CLI must turn the very next request away, and
/// a notification could still be on its way then, so the counter is read, not pushed. Reads are shared: a
/// caller takes a ticket, one read runs at a time, and a read covers every ticket taken before it started,
/// since it sees every commit made before those callers arrived. Under load, requests thus cost one query
/// between them per round trip, not one each.
/// </summary>
public sealed class PostgresUserChanges(PostgresDatabase database) : IUserChanges
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _tickets;
    private long _covered;
    private long _version;

    public async ValueTask<long> VersionAsync(CancellationToken cancellationToken)
    {
        var ticket = Interlocked.Increment(ref _tickets);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (Volatile.Read(ref _covered) >= ticket) return Volatile.Read(ref _version);
            var upTo = Volatile.Read(ref _tickets);
            await using var connection = await database.OpenAsync(cancellationToken);
            await using var read = new NpgsqlCommand("SELECT version FROM user_changes WHERE id = 1", connection);
            var version = (long)(await read.ExecuteScalarAsync(cancellationToken))!;
            Volatile.Write(ref _version, version);
            Volatile.Write(ref _covered, upTo);
            return version;
        }
        finally
        {
            _gate.Release();
        }
    }
}
