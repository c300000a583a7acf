using FaceSwap.Core.Storage.Postgres;
using FaceSwap.Core.Tests.Postgres;
using OpenCvSharp;

namespace FaceSwap.Local.Tests;

/// <summary>One empty saved-id store, opened by as many handles (nodes) as a test needs.</summary>
public interface ISavedFaceDatabase : IAsyncDisposable
{
    ISavedFaceStore Open();
}

/// <summary>Saved ids: what the file store (one node) and the database store (a cluster) must do alike.</summary>
public abstract class SavedFaceStoreContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    protected abstract Task<ISavedFaceDatabase> CreateAsync();

    private static SavedFace Face(string name, byte seed = 1) =>
        new(name, [seed, 2, 3, 0, 255], [new Point2f(1.5f, 2.25f), new Point2f(-3, 4)], seed == 1 ? null : [new Point2f(7, 8)], seed == 1 ? null : [0.5f, -0.25f, seed]);

    private static void AssertSame(SavedFace expected, SavedFace? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.ToBytes(), actual.ToBytes());
    }

    [SkippableFact]
    public async Task Ids_are_per_user_and_channel_and_names_compare_case_insensitively()
    {
        await using var database = await CreateAsync();
        var store = database.Open();
        Assert.True(await store.PutAsync(1, "100000000000000001", Face("Me"), None));
        Assert.False(await store.PutAsync(1, "100000000000000001", Face("me", seed: 2), None)); // replaced, not added
        await store.PutAsync(1, "100000000000000001", Face("Zed"), None);
        await store.PutAsync(1, "100000000000000001", Face("alice"), None);
        await store.PutAsync(1, "100000000000000002", Face("other"), None);
        await store.PutAsync(2, "100000000000000001", Face("bob"), None);

        var other = database.Open();
        Assert.Equal(["alice", "me", "Zed"], await other.ListAsync(1, "100000000000000001", None));
        AssertSame(Face("me", seed: 2), await other.GetAsync(1, "100000000000000001", "ME", None));
        Assert.Null(await other.GetAsync(1, "100000000000000001", "bob", None));
        Assert.Empty(await other.ListAsync(3, "100000000000000001", None));

        Assert.True(await other.DeleteAsync(1, "100000000000000001", "ZED", None));
        Assert.False(await store.DeleteAsync(1, "100000000000000001", "zed", None));
        Assert.Equal(2, await store.DeleteAllAsync(1, "100000000000000001", None));
        Assert.Empty(await other.ListAsync(1, "100000000000000001", None));
        Assert.Equal(["other"], await other.ListAsync(1, "100000000000000002", None));
        Assert.Equal(["bob"], await other.ListAsync(2, "100000000000000001", None));
    }

    [SkippableFact]
    public async Task Defaults_are_kept_per_user_and_channel()
    {
        await using var database = await CreateAsync();
        var store = database.Open();
        Assert.Equal(new FaceDefaults(null, false), await store.GetDefaultsAsync(1, "100000000000000001", None));
        await store.SetDefaultsAsync(1, "100000000000000001", new FaceDefaults("me,_", true), None);
        await store.SetDefaultsAsync(1, "100000000000000002", new FaceDefaults("a+b", false), None);

        var other = database.Open();
        Assert.Equal(new FaceDefaults("me,_", true), await other.GetDefaultsAsync(1, "100000000000000001", None));
        await other.SetDefaultsAsync(1, "100000000000000001", new FaceDefaults(null, true), None);
        Assert.Equal(new FaceDefaults(null, true), await store.GetDefaultsAsync(1, "100000000000000001", None));
        Assert.Equal(new FaceDefaults("a+b", false), await store.GetDefaultsAsync(1, "100000000000000002", None));
        Assert.Equal(new FaceDefaults(null, false), await store.GetDefaultsAsync(2, "100000000000000001", None));
    }
}

public sealed class FileSavedFaceStoreContractTests : SavedFaceStoreContract
{
    private sealed class Folder : ISavedFaceDatabase
    {
        private readonly string _dir = InsightFaceDoubles.TempDir();
        public ISavedFaceStore Open() => new FileSavedFaceStore(_dir);

        public ValueTask DisposeAsync()
        {
            Directory.Delete(_dir, recursive: true);
            return ValueTask.CompletedTask;
        }
    }

    protected override Task<ISavedFaceDatabase> CreateAsync() => Task.FromResult<ISavedFaceDatabase>(new Folder());
}

public sealed class PostgresSavedFaceStoreContractTests : SavedFaceStoreContract
{
    private sealed class Database(TestPostgres server) : ISavedFaceDatabase
    {
        public ISavedFaceStore Open() => new PostgresSavedFaceStore(server.Open());
        public ValueTask DisposeAsync() => server.DisposeAsync();
    }

    /// <summary>Skips the calling test when no test PostgreSQL is named (FACESWAP_TEST_POSTGRES).</summary>
    protected override async Task<ISavedFaceDatabase> CreateAsync() => new Database(await TestPostgres.CreateAsync());
}
