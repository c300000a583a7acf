namespace FaceSwap.Sandbox;

/// <summary>
/// The sandbox's state in a folder: <c>state.json</c>, replaced atomically (written beside it, flushed, then moved
/// over it), and <c>blobs/&lt;sha256&gt;</c> for every file the state names, each written once. A sandbox started on
/// the same folder carries on where the last one stopped.
/// </summary>
public sealed class SandboxStateFolder : ISandboxStateStore
{
    private readonly string _blobs;

    /// <summary>Blobs known to be on disk, so a save does not look for them again.</summary>
    private readonly HashSet<string> _stored = [];

    public SandboxStateFolder(string directory)
    {
        Directory = Path.GetFullPath(directory);
        _blobs = Path.Combine(Directory, "blobs");
        System.IO.Directory.CreateDirectory(_blobs);
    }

    public string Directory { get; }

    public string Location => $"folder {Directory}";

    private string StatePath => Path.Combine(Directory, "state.json");

    public SandboxStateDocument? Load()
    {
        if (!File.Exists(StatePath)) return null;
        var json = File.ReadAllText(StatePath);
        var blobs = new Dictionary<string, byte[]>();
        foreach (var path in System.IO.Directory.EnumerateFiles(_blobs))
        {
            string name = Path.GetFileName(path);
            if (IsPartial(name)) continue;
            blobs[name] = File.ReadAllBytes(path);
            _stored.Add(name);
        }
        return new SandboxStateDocument(json, blobs);
    }

    public void Save(SandboxStateDocument state)
    {
        // Files first, each complete before the state that names it, so a crash at any point leaves a state whose
        // files are all there (at worst with files nothing names yet, removed by the next save).
        foreach (var (name, content) in state.Blobs)
        {
            if (_stored.Contains(name)) continue;
            string path = Path.Combine(_blobs, name);
            if (!File.Exists(path)) WriteDurably(path, content);
            _stored.Add(name);
        }
        WriteDurably(StatePath, System.Text.Encoding.UTF8.GetBytes(state.Json));
        foreach (var path in System.IO.Directory.EnumerateFiles(_blobs))
        {
            string name = Path.GetFileName(path);
            if (state.Blobs.ContainsKey(name) || IsPartial(name)) continue;
            File.Delete(path);
            _stored.Remove(name);
        }
    }

    public void Dispose()
    {
    }

    private static bool IsPartial(string name) => name.EndsWith(".tmp", StringComparison.Ordinal);

    /// <summary>Written beside the target, flushed to disk, then moved over it: readers see the old file or the new one.</summary>
    private static void WriteDurably(string path, ReadOnlySpan<byte> content)
    {
        string temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
