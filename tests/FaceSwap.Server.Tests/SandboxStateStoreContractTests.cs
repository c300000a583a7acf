using System.Security.Cryptography;
using System.Text;
using Dapper;
using FaceSwap.Core.Storage;
using FaceSwap.Sandbox;
using FaceSwap.Server.Hosting;
using FaceSwap.Server.Tests.Infrastructure;
using Npgsql;

namespace FaceSwap.Server.Tests;

/// <summary>
/// What every place the sandbox keeps its state in must do, asserted on each: the folder (<see cref="SandboxStateFolder"/>)
/// and the PostgreSQL database (<see cref="PostgresSandboxStateStore"/>), each read back through its own files or
/// rows, not through the store under test.
/// </summary>
public sealed class SandboxStateStoreContractTests
{
    public static TheoryData<string> Places => ["folder", "postgres"];

    /// <summary>One place the state lives, with a way to open it and to look at what it holds from outside.</summary>
    private abstract class Place : IAsyncDisposable
    {
        public abstract ISandboxStateStore Open();
        public abstract Task<string?> DurableJsonAsync();
        public abstract Task<IReadOnlyList<string>> BlobNamesAsync();

        /// <summary>Marks what a stored blob is now, so <see cref="IsUnchangedAsync"/> tells whether a later save wrote it again.</summary>
        public abstract Task MarkAsync(string blob);

        public abstract Task<bool> IsUnchangedAsync(string blob);
        public abstract ValueTask DisposeAsync();

        public static async Task<Place> CreateAsync(string kind) =>
            kind == "folder" ? new Folder() : await Database.CreateAsync();
    }

    private sealed class Folder : Place
    {
        private static readonly DateTime Marked = new(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);
        private readonly string _path = Path.Combine(Path.GetTempPath(), "sandbox-state-" + Guid.NewGuid().ToString("N"));

        public override ISandboxStateStore Open() => new SandboxStateFolder(_path);

        public override async Task<string?> DurableJsonAsync() =>
            File.Exists(Path.Combine(_path, "state.json")) ? await File.ReadAllTextAsync(Path.Combine(_path, "state.json")) : null;

        public override Task<IReadOnlyList<string>> BlobNamesAsync() =>
            Task.FromResult<IReadOnlyList<string>>(Directory.GetFiles(Path.Combine(_path, "blobs")).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToList());

        // A file written again gets the time of its writing: set an old one, and see whether it stays.
        public override Task MarkAsync(string blob)
        {
            File.SetLastWriteTimeUtc(Path.Combine(_path, "blobs", blob), Marked);
            return Task.CompletedTask;
        }

        public override Task<bool> IsUnchangedAsync(string blob) =>
            Task.FromResult(File.GetLastWriteTimeUtc(Path.Combine(_path, "blobs", blob)) == Marked);

        public override ValueTask DisposeAsync()
        {
            if (Directory.Exists(_path)) Directory.Delete(_path, recursive: true);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class Database(SharedDatabase database) : Place
    {
        public const string Key = "contract";
        private readonly Dictionary<string, uint> _marks = [];

        public SharedDatabase Shared => database;

        public static async Task<Place> CreateAsync() => new Database(await SharedDatabase.CreateAsync());

        public override ISandboxStateStore Open() => PostgresSandboxStateStore.Open(database.ConnectionString, Key, "(the test's advice)");

        public override async Task<string?> DurableJsonAsync()
        {
            await using var connection = await database.OpenAsync();
            return await connection.QuerySingleOrDefaultAsync<string>("SELECT document FROM sandbox_states WHERE key = @Key", new { Key });
        }

        public override async Task<IReadOnlyList<string>> BlobNamesAsync()
        {
            await using var connection = await database.OpenAsync();
            return (await connection.QueryAsync<string>("SELECT hash FROM sandbox_blobs WHERE state_key = @Key ORDER BY hash COLLATE \"C\"", new { Key })).ToList();
        }

        // A row written again (even with the same content) is a new row version with a new xmin.
        public override async Task MarkAsync(string blob) => _marks[blob] = await VersionAsync(blob);

        public override async Task<bool> IsUnchangedAsync(string blob) => await VersionAsync(blob) == _marks[blob];

        private async Task<uint> VersionAsync(string blob)
        {
            await using var connection = await database.OpenAsync();
            return await connection.QuerySingleAsync<uint>("SELECT xmin FROM sandbox_blobs WHERE state_key = @Key AND hash = @blob", new { Key, blob });
        }

        public override ValueTask DisposeAsync() => database.DisposeAsync();
    }

    private static (string Name, byte[] Content) Blob(string text)
    {
        var content = Encoding.UTF8.GetBytes(text);
        return (Convert.ToHexStringLower(SHA256.HashData(content)), content);
    }

    private static SandboxStateDocument Document(string json, params (string Name, byte[] Content)[] blobs) =>
        new(json, blobs.ToDictionary(b => b.Name, b => b.Content));

    [SkippableTheory]
    [MemberData(nameof(Places))]
    public async Task Saved_state_loads_back_equal_after_a_reopen(string kind)
    {
        await using var place = await Place.CreateAsync(kind);
        var (a, b) = (Blob("first file"), Blob("second file \0 with a NUL byte"));
        const string json = """{"Version":1,"Text":"a \u0000 NUL and ünïcödé","Files":["a","b"]}""";
        using (var store = place.Open())
        {
            Assert.Null(store.Load());
            store.Save(Document(json, a, b));
        }

        using var again = place.Open();
        var loaded = again.Load();
        Assert.NotNull(loaded);
        Assert.Equal(json, loaded.Json);
        Assert.Equal(new[] { a.Name, b.Name }.Order(StringComparer.Ordinal), loaded.Blobs.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(a.Content, loaded.Blobs[a.Name]);
        Assert.Equal(b.Content, loaded.Blobs[b.Name]);
    }

    [SkippableTheory]
    [MemberData(nameof(Places))]
    public async Task Each_blob_is_written_once_and_blobs_no_state_names_are_removed(string kind)
    {
        await using var place = await Place.CreateAsync(kind);
        var (a, b, c) = (Blob("kept"), Blob("dropped"), Blob("added"));
        using (var store = place.Open())
        {
            store.Save(Document("""{"n":1}""", a, b));
            Assert.Equal(new[] { a.Name, b.Name }.Order(StringComparer.Ordinal), await place.BlobNamesAsync());
            await place.MarkAsync(a.Name);

            store.Save(Document("""{"n":2}""", a, c));
            Assert.Equal("""{"n":2}""", await place.DurableJsonAsync());
            Assert.Equal(new[] { a.Name, c.Name }.Order(StringComparer.Ordinal), await place.BlobNamesAsync());
            Assert.True(await place.IsUnchangedAsync(a.Name), "a blob already stored was written again");
        }

        // A store opened afresh knows what is stored, and writes nothing again either.
        using (var store = place.Open())
        {
            Assert.NotNull(store.Load());
            store.Save(Document("""{"n":3}""", a));
            Assert.True(await place.IsUnchangedAsync(a.Name), "a blob already stored was written again after a reopen");
            Assert.Equal(new[] { a.Name }, await place.BlobNamesAsync());
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Places))]
    public async Task Concurrent_changes_are_each_durable_when_their_caller_returns(string kind)
    {
        await using var place = await Place.CreateAsync(kind);
        var saves = new CountingStore(place.Open());
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { StateStore = saves, Replies = { Seed = 1, OtherTraffic = 0 } });
        const int changes = 24;
        var missing = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var start = new ManualResetEventSlim();
        var callers = Enumerable.Range(0, changes).Select(i => Task.Run(async () =>
        {
            start.Wait();
            string token = $"group-commit-token-{i:00}";
            // Returns after its save: what the store holds now, read from outside, must have it.
            sandbox.State.AddAccount(token, $"30000000000000{i:0000}", $"31000000000000{i:0000}");
            if (await place.DurableJsonAsync() is not { } json || !json.Contains(token, StringComparison.Ordinal)) missing.Add(token);
        })).ToArray();
        start.Set();
        await Task.WhenAll(callers);

        Assert.Empty(missing);
        Assert.InRange(saves.Count, 1, changes);
        Console.WriteLine($"{kind}: {changes} concurrent changes, {saves.Count} saves");
    }

    [SkippableFact]
    public async Task One_running_sandbox_holds_a_state_key_and_other_keys_are_kept_apart()
    {
        await using var database = await SharedDatabase.CreateAsync();
        using var first = PostgresSandboxStateStore.Open(database.ConnectionString, "one", "stop the other sandbox");
        first.Save(Document("""{"who":"one"}"""));

        var refused = Assert.Throws<StorageConfigurationException>(() => PostgresSandboxStateStore.Open(database.ConnectionString, "one", "stop the other sandbox"));
        Assert.Contains("another running sandbox holds the sandbox state", refused.Message);
        Assert.EndsWith("stop the other sandbox", refused.Message);

        using (var other = PostgresSandboxStateStore.Open(database.ConnectionString, "two", "stop the other sandbox"))
        {
            Assert.Null(other.Load());
            other.Save(Document("""{"who":"two"}""", Blob("two's file")));
        }
        Assert.Equal("""{"who":"one"}""", first.Load()!.Json);
        Assert.Empty(first.Load()!.Blobs);

        // Stopping the first frees its key at once.
        first.Dispose();
        using var next = PostgresSandboxStateStore.Open(database.ConnectionString, "one", "stop the other sandbox");
        Assert.Equal("""{"who":"one"}""", next.Load()!.Json);
    }

    [SkippableFact]
    public async Task The_location_names_the_database_but_never_its_password()
    {
        await using var database = await SharedDatabase.CreateAsync();
        var withPassword = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Password = "not-to-be-printed" }.ConnectionString;
        using var store = PostgresSandboxStateStore.Open(withPassword, "located", "-");
        Assert.Contains(database.Name, store.Location);
        Assert.DoesNotContain("not-to-be-printed", store.Location);
    }

    /// <summary>The store under test, counting the saves that reach it.</summary>
    private sealed class CountingStore(ISandboxStateStore inner) : ISandboxStateStore
    {
        private int _count;
        public int Count => Volatile.Read(ref _count);
        public string Location => inner.Location;
        public SandboxStateDocument? Load() => inner.Load();

        public void Save(SandboxStateDocument state)
        {
            inner.Save(state);
            Interlocked.Increment(ref _count);
        }

        public void Dispose() => inner.Dispose();
    }
}
