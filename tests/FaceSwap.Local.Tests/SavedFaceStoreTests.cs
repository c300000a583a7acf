using OpenCvSharp;

namespace FaceSwap.Local.Tests;

public sealed class SavedFaceStoreTests : IDisposable
{
    private readonly string _dir = InsightFaceDoubles.TempDir();
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static SavedFace Face(string name) => new(name, [1, 2, 3], [new Point2f(1, 2)], null, null);

    [Fact]
    public async Task Ids_are_per_user_and_channel_case_insensitive_and_leave_no_temporary_files()
    {
        var store = new FileSavedFaceStore(_dir);
        Assert.True(await store.PutAsync(1, "100000000000000001", Face("Me"), default));
        Assert.False(await store.PutAsync(1, "100000000000000001", Face("me"), default)); // replaced, not added
        await store.PutAsync(1, "100000000000000002", Face("other"), default);
        await store.PutAsync(2, "100000000000000001", Face("bob"), default);

        Assert.Equal(["me"], await store.ListAsync(1, "100000000000000001", default));
        Assert.NotNull(await store.GetAsync(1, "100000000000000001", "ME", default));
        Assert.Null(await store.GetAsync(1, "100000000000000001", "bob", default));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp", SearchOption.AllDirectories));

        await store.SetDefaultsAsync(1, "100000000000000001", new FaceDefaults("me,_", true), default);
        var reopened = new FileSavedFaceStore(_dir);
        Assert.Equal(new FaceDefaults("me,_", true), await reopened.GetDefaultsAsync(1, "100000000000000001", default));
        Assert.Equal(1, await reopened.DeleteAllAsync(1, "100000000000000001", default));
        Assert.Equal(["other"], await reopened.ListAsync(1, "100000000000000002", default));
    }

    [Fact]
    public async Task A_channel_name_cannot_escape_the_store_folder()
    {
        var store = new FileSavedFaceStore(_dir);
        await store.PutAsync(1, "../../escape", Face("x"), default);
        Assert.NotNull(await store.GetAsync(1, "../../escape", "x", default));
        Assert.All(Directory.GetFiles(_dir, "*", SearchOption.AllDirectories), f => Assert.StartsWith(Path.GetFullPath(_dir), Path.GetFullPath(f)));
        Assert.False(Directory.Exists(Path.Combine(_dir, "..", "escape")));
    }
}
