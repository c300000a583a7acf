using System.Collections.Concurrent;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Users;

namespace FaceSwap.Server.Auth;

/// <summary>
/// Accepted tokens by hash, so a request costs no token and user reads. An entry is used only while the
/// database's user-change counter still has the value read before the entry was looked up: any revoke,
/// expiry change or delete, by this server, another node or the users CLI in another process, bumps the counter in
/// its own transaction, and the next request reads it and goes back to the database. The
/// subscription's end is kept in the entry and compared with the clock on every request, so an expiry
/// needs no write at all to take effect. Unknown and revoked tokens are never cached.
/// </summary>
public sealed class TokenCache(IUserStore users, IUserChanges changes)
{
    /// <summary>Past this many entries the cache starts over (a bound on memory, not an expected size).</summary>
    public const int Capacity = 10_000;

    private sealed record Entry(Caller Caller, long Version);

    private ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private int _added;

    /// <summary>
    /// Whether <paramref name="token"/> still authenticates <paramref name="caller"/>: not revoked, subscription not
    /// ended. A long-lived stream asks at each keep-alive, so it ends within one period of a revoke or an expiry.
    /// </summary>
    public async ValueTask<bool> StillAcceptsAsync(string token, Caller caller, DateTimeOffset now, CancellationToken cancellationToken) =>
        await FindAsync(token, cancellationToken) is { } found && found.UserId == caller.UserId && found.Token.Revoked is null
        && !found.User.IsExpired(now);

    /// <summary>The token's user and token as stored (revoked or not), or null for an unknown token.</summary>
    public async ValueTask<Caller?> FindAsync(string token, CancellationToken cancellationToken)
    {
        var hash = ApiTokens.Hash(token);
        // Read before the lookup: an entry is then never newer than the counter it is filed under.
        var version = await changes.VersionAsync(cancellationToken);
        var entries = _entries;
        if (entries.TryGetValue(hash, out var entry) && entry.Version == version) return entry.Caller;

        var found = await users.FindByTokenHashAsync(hash, cancellationToken);
        if (found is not var (apiToken, user)) return null;
        var caller = new Caller(user, apiToken);
        if (apiToken.Revoked is null)
        {
            if (Interlocked.Increment(ref _added) > Capacity)
            {
                Interlocked.Exchange(ref _added, 1);
                entries = _entries = new ConcurrentDictionary<string, Entry>(StringComparer.Ordinal);
            }
            entries[hash] = new Entry(caller, version);
        }
        return caller;
    }
}
