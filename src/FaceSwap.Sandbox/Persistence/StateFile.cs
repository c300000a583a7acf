using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceSwap.Sandbox;

/// <summary>
/// The sandbox's state on disk: <c>state.json</c>, replaced atomically (written beside it, flushed, then moved over
/// it), and <c>blobs/&lt;sha256&gt;</c> for every file and face it refers to, each written once. Blobs no saved state
/// refers to any more are removed after a save.
/// </summary>
internal sealed class StateFile
{
    private readonly string _directory;
    private readonly string _blobs;
    private readonly Lock _gate = new();

    // Every save writes the whole state, so each file's name (its hash) is worked out once per byte array, and a
    // blob known to be on disk is not looked for again.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<byte[], string> _names = new();
    private readonly HashSet<string> _written = [];

    public StateFile(string directory)
    {
        _directory = directory;
        _blobs = Path.Combine(directory, "blobs");
        Directory.CreateDirectory(_blobs);
    }

    private string StatePath => Path.Combine(_directory, "state.json");

    public SandboxSnapshot? Load()
    {
        if (!File.Exists(StatePath)) return null;
        using var stream = File.OpenRead(StatePath);
        var snapshot = JsonSerializer.Deserialize<SandboxSnapshot>(stream, Options(new BlobConverter(this, null)));
        return snapshot is { Version: SandboxSnapshot.CurrentVersion }
            ? snapshot
            : throw new InvalidDataException($"{StatePath}: unknown sandbox state version {snapshot?.Version}");
    }

    private long _changes, _saved;

    /// <summary>
    /// Saves the state after a change. Callers that arrive while a save is being written wait for the next one, and
    /// one save then covers all of them (a group commit): under load the file is written far fewer times than changes
    /// happen, yet every caller returns only once its change is on disk.
    /// </summary>
    public void SaveAfterChange(Func<SandboxSnapshot> export)
    {
        long change = Interlocked.Increment(ref _changes);
        lock (_gate)
        {
            if (Volatile.Read(ref _saved) >= change) return;
            long covered = Volatile.Read(ref _changes);
            Save(export());
            Volatile.Write(ref _saved, covered);
        }
    }

    public void Save(SandboxSnapshot snapshot)
    {
        lock (_gate)
        {
            var referenced = new HashSet<string>();
            string temporary = StatePath + ".tmp";
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                JsonSerializer.Serialize(stream, snapshot, Options(new BlobConverter(this, referenced)));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, StatePath, overwrite: true);
            foreach (var blob in Directory.EnumerateFiles(_blobs))
            {
                string name = Path.GetFileName(blob);
                if (referenced.Contains(name) || name.EndsWith(".tmp", StringComparison.Ordinal)) continue;
                File.Delete(blob);
                _written.Remove(name);
            }
        }
    }

    private static JsonSerializerOptions Options(BlobConverter blobs) => new()
    {
        Converters = { blobs, new JsonStringEnumConverter() },
        WriteIndented = false,
    };

    /// <summary>Writes a byte array as the SHA-256 of its content, the bytes going to a blob file of that name.</summary>
    private sealed class BlobConverter(StateFile file, HashSet<string>? referenced) : JsonConverter<byte[]>
    {
        public override byte[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            string name = reader.GetString() ?? throw new JsonException("a blob name is required");
            var bytes = File.ReadAllBytes(Path.Combine(file._blobs, name));
            file._names.AddOrUpdate(bytes, name);
            file._written.Add(name);
            return bytes;
        }

        public override void Write(Utf8JsonWriter writer, byte[] value, JsonSerializerOptions options)
        {
            string name = file._names.GetValue(value, bytes => Convert.ToHexStringLower(SHA256.HashData(bytes)));
            if (!file._written.Contains(name))
            {
                string path = Path.Combine(file._blobs, name);
                if (!File.Exists(path))
                {
                    string temporary = path + ".tmp";
                    using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
                    {
                        stream.Write(value);
                        stream.Flush(flushToDisk: true);
                    }
                    File.Move(temporary, path, overwrite: true);
                }
                file._written.Add(name);
            }
            referenced?.Add(name);
            writer.WriteStringValue(name);
        }
    }
}
