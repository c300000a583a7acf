using System.Text;
using System.Text.Json;

namespace FaceSwap.Local;

/// <summary>
/// Saved ids as files: <c>{root}/{user}/{channel}/{name}.face</c> plus <c>defaults.json</c>. Each write
/// goes to a temporary file that is flushed and renamed over the old one, so a crash leaves either the
/// old or the new record, never half of one.
/// </summary>
public sealed class FileSavedFaceStore(string root) : ISavedFaceStore
{
    private const string Extension = ".face";
    private readonly SemaphoreSlim _writes = new(1, 1);

    public string Root { get; } = root;

    private string Folder(long userId, string channel) => Path.Combine(Root, userId.ToString(), SafeName(channel));

    private static string SafeName(string s) =>
        s.Length is > 0 and <= 64 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? s
            : "x" + Convert.ToHexString(Encoding.UTF8.GetBytes(s)).ToLowerInvariant()[..Math.Min(120, 2 * Encoding.UTF8.GetByteCount(s))];

    private static string Key(string name) => name.ToLowerInvariant();

    public Task<IReadOnlyList<string>> ListAsync(long userId, string channel, CancellationToken cancellationToken)
    {
        var folder = Folder(userId, channel);
        IReadOnlyList<string> names = Directory.Exists(folder)
            ? Directory.GetFiles(folder, "*" + Extension).Select(p => SavedFace.FromBytes(File.ReadAllBytes(p)).Name).Order(StringComparer.OrdinalIgnoreCase).ToList()
            : [];
        return Task.FromResult(names);
    }

    public async Task<SavedFace?> GetAsync(long userId, string channel, string name, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Folder(userId, channel), Key(name) + Extension);
        return File.Exists(path) ? SavedFace.FromBytes(await File.ReadAllBytesAsync(path, cancellationToken)) : null;
    }

    public async Task<bool> PutAsync(long userId, string channel, SavedFace face, CancellationToken cancellationToken)
    {
        await _writes.WaitAsync(cancellationToken);
        try
        {
            var path = Path.Combine(Folder(userId, channel), Key(face.Name) + Extension);
            var created = !File.Exists(path);
            await WriteAtomicAsync(path, face.ToBytes(), cancellationToken);
            return created;
        }
        finally { _writes.Release(); }
    }

    public async Task<bool> DeleteAsync(long userId, string channel, string name, CancellationToken cancellationToken)
    {
        await _writes.WaitAsync(cancellationToken);
        try
        {
            var path = Path.Combine(Folder(userId, channel), Key(name) + Extension);
            if (!File.Exists(path)) return false;
            File.Delete(path);
            return true;
        }
        finally { _writes.Release(); }
    }

    public async Task<int> DeleteAllAsync(long userId, string channel, CancellationToken cancellationToken)
    {
        await _writes.WaitAsync(cancellationToken);
        try
        {
            var folder = Folder(userId, channel);
            if (!Directory.Exists(folder)) return 0;
            var files = Directory.GetFiles(folder, "*" + Extension);
            foreach (var f in files) File.Delete(f);
            return files.Length;
        }
        finally { _writes.Release(); }
    }

    public async Task<FaceDefaults> GetDefaultsAsync(long userId, string channel, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Folder(userId, channel), "defaults.json");
        if (!File.Exists(path)) return new FaceDefaults(null, false);
        return JsonSerializer.Deserialize<FaceDefaults>(await File.ReadAllBytesAsync(path, cancellationToken)) ?? new FaceDefaults(null, false);
    }

    public async Task SetDefaultsAsync(long userId, string channel, FaceDefaults defaults, CancellationToken cancellationToken)
    {
        await _writes.WaitAsync(cancellationToken);
        try
        {
            await WriteAtomicAsync(Path.Combine(Folder(userId, channel), "defaults.json"), JsonSerializer.SerializeToUtf8Bytes(defaults), cancellationToken);
        }
        finally { _writes.Release(); }
    }

    private static async Task WriteAtomicAsync(string path, byte[] bytes, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
            {
                await file.WriteAsync(bytes, cancellationToken);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
