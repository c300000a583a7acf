using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceSwap.Sandbox;

/// <summary>
/// The sandbox's state on its <see cref="ISandboxStateStore"/>: the snapshot as JSON, each byte array in it written as
/// the SHA-256 of its content and kept as a blob of that name, and saves grouped so that many changes at once cost
/// few writes.
/// </summary>
internal sealed class SavedState(ISandboxStateStore store) : IDisposable
{
    private readonly Lock _gate = new();

    // Every save writes the whole state, so each blob's name (its hash) is worked out once per byte array.
    private readonly ConditionalWeakTable<byte[], string> _names = new();

    private long _changes, _saved;

    public ISandboxStateStore Store => store;

    public SandboxSnapshot? Load()
    {
        if (store.Load() is not { } saved) return null;
        var snapshot = JsonSerializer.Deserialize<SandboxSnapshot>(saved.Json, Options(new BlobConverter(this, saved.Blobs, null)));
        return snapshot is { Version: SandboxSnapshot.CurrentVersion }
            ? snapshot
            : throw new InvalidDataException($"{store.Location}: unknown sandbox state version {snapshot?.Version}");
    }

    /// <summary>
    /// Saves the state after a change. Callers that arrive while a save is being written wait for the next one, and
    /// one save then covers all of them (a group commit): under load the state is written far fewer times than changes
    /// happen, yet every caller returns only once its change is durable.
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
            var blobs = new Dictionary<string, byte[]>();
            string json = JsonSerializer.Serialize(snapshot, Options(new BlobConverter(this, null, blobs)));
            store.Save(new SandboxStateDocument(json, blobs));
        }
    }

    public void Dispose() => store.Dispose();

    private static JsonSerializerOptions Options(BlobConverter blobs) => new()
    {
        Converters = { blobs, new JsonStringEnumConverter() },
        WriteIndented = false,
    };

    /// <summary>Writes a byte array as the SHA-256 of its content, collecting the bytes under that name; reads it back from the loaded blobs.</summary>
    private sealed class BlobConverter(SavedState state, IReadOnlyDictionary<string, byte[]>? loaded, Dictionary<string, byte[]>? referenced) : JsonConverter<byte[]>
    {
        public override byte[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            string name = reader.GetString() ?? throw new JsonException("a blob name is required");
            if (loaded?.GetValueOrDefault(name) is not { } bytes)
                throw new InvalidDataException($"{state.Store.Location}: the saved state names blob {name}, which is missing");
            state._names.AddOrUpdate(bytes, name);
            return bytes;
        }

        public override void Write(Utf8JsonWriter writer, byte[] value, JsonSerializerOptions options)
        {
            string name = state._names.GetValue(value, bytes => Convert.ToHexStringLower(SHA256.HashData(bytes)));
            referenced?.TryAdd(name, value);
            writer.WriteStringValue(name);
        }
    }
}
