namespace FaceSwap.Core.Tests.Stores;

/// <summary>Inputs and results by id: what every storage provider must do alike.</summary>
public abstract class BlobStoreContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    protected abstract Task<StoreDatabase> CreateAsync();

    [SkippableFact]
    public async Task A_blob_reads_back_byte_for_byte_on_every_node_until_deleted()
    {
        await using var database = await CreateAsync();
        var node = database.Open();
        var everyByte = Enumerable.Range(0, 256).Select(b => (byte)b).ToArray();
        var large = new byte[6 * 1024 * 1024];
        new Random(11).NextBytes(large);

        var small = await node.Blobs.PutAsync(everyByte, None);
        var big = await node.Blobs.PutAsync(large, None);
        var empty = await node.Blobs.PutAsync([], None);
        Assert.Equal(3, new[] { small, big, empty }.Distinct().Count());

        var other = database.Open();
        Assert.Equal(everyByte, await other.Blobs.GetAsync(small, None));
        Assert.Equal(large, await other.Blobs.GetAsync(big, None));
        Assert.Equal(Array.Empty<byte>(), await other.Blobs.GetAsync(empty, None));

        await other.Blobs.DeleteAsync(small, None);
        Assert.Null(await node.Blobs.GetAsync(small, None));
        await node.Blobs.DeleteAsync(small, None);
        Assert.Equal(large, await node.Blobs.GetAsync(big, None));
    }

    [SkippableFact]
    public async Task An_id_never_stored_reads_as_missing()
    {
        await using var database = await CreateAsync();
        var node = database.Open();
        await node.Blobs.PutAsync([1, 2, 3], None);
        Assert.Null(await node.Blobs.GetAsync("AAAAAAAAAAAAAAAAAAAAAAAA", None));
    }
}

public sealed class SqliteBlobStoreTests : BlobStoreContract
{
    protected override Task<StoreDatabase> CreateAsync() => Task.FromResult<StoreDatabase>(new SqliteStoreDatabase());
}

public sealed class PostgresBlobStoreTests : BlobStoreContract
{
    protected override Task<StoreDatabase> CreateAsync() => PostgresStoreDatabase.CreateAsync();
}
