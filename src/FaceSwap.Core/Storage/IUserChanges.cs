namespace FaceSwap.Core.Storage;

/// <summary>
/// The database's user-change counter: every revoke, expiry change or delete of a user or token bumps it in its
/// own transaction, whichever process writes it (any node, the users CLI). A token cache files its entries under
/// the value it read before the lookup and uses them only while the counter still has that value.
/// </summary>
public interface IUserChanges
{
    /// <summary>The counter as committed no earlier than this call; it only grows.</summary>
    ValueTask<long> VersionAsync(CancellationToken cancellationToken);
}
