namespace FaceSwap.Local;

/// <summary>The default ids set with setid: the selection text (<c>a,b</c>, <c>_</c>, <c>a+b</c>) and greedy mode.</summary>
public sealed record FaceDefaults(string? Selection, bool Greedy);

/// <summary>Saved ids of one (user, channel), durable across restarts. Names compare case-insensitively.</summary>
public interface ISavedFaceStore
{
    Task<IReadOnlyList<string>> ListAsync(long userId, string channel, CancellationToken cancellationToken);
    Task<SavedFace?> GetAsync(long userId, string channel, string name, CancellationToken cancellationToken);
    /// <summary>Returns true when the id is new, false when it replaced one of the same name.</summary>
    Task<bool> PutAsync(long userId, string channel, SavedFace face, CancellationToken cancellationToken);
    Task<bool> DeleteAsync(long userId, string channel, string name, CancellationToken cancellationToken);
    Task<int> DeleteAllAsync(long userId, string channel, CancellationToken cancellationToken);
    Task<FaceDefaults> GetDefaultsAsync(long userId, string channel, CancellationToken cancellationToken);
    Task SetDefaultsAsync(long userId, string channel, FaceDefaults defaults, CancellationToken cancellationToken);
}

/// <summary>
/// Finds the result image of an earlier job by the message id the engine gave it (inswapper's
/// targetMessageId). The server implements it over its job store; only jobs of the same user and
/// channel may match.
/// </summary>
public interface ILocalResultLookup
{
    Task<byte[]?> FindResultAsync(long userId, string channel, string messageId, CancellationToken cancellationToken);
}
