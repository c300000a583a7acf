using System.Security.Cryptography;
using FaceSwap.Core.Users;

namespace FaceSwap.Core.Storage;

/// <summary>
/// Blobs as files under the data folder, named by random ids and fanned out by their first two characters.
/// A blob is written to a temporary file and renamed into place, so a crash never leaves half a file
/// under a real id.
/// </summary>
public sealed class FileBlobStore(string root) : IBlobStore
{
    public async Task<string> PutAsync(byte[] content, CancellationToken cancellationToken)
    {
        var id = ApiTokens.Base64Url(RandomNumberGenerator.GetBytes(18));
        var path = PathOf(id);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 81920, FileOptions.WriteThrough))
        {
            await stream.WriteAsync(content, cancellationToken);
        }
        File.Move(temporary, path, overwrite: true);
        return id;
    }

    public async Task<byte[]?> GetAsync(string blobId, CancellationToken cancellationToken)
    {
        var path = PathOf(blobId);
        return File.Exists(path) ? await File.ReadAllBytesAsync(path, cancellationToken) : null;
    }

    public Task DeleteAsync(string blobId, CancellationToken cancellationToken)
    {
        var path = PathOf(blobId);
        if (File.Exists(path)) File.Delete(path);
        return Task.CompletedTask;
    }

    private string PathOf(string blobId)
    {
        // Ids are ours (base64url), but a forged one must still never climb out of the root.
        if (blobId.Length < 4 || blobId.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
            throw new ArgumentException("Malformed blob id", nameof(blobId));
        return Path.Combine(root, blobId[..2], blobId);
    }
}
