using System.Security.Cryptography;
using Dapper;
using FaceSwap.Core.Users;

namespace FaceSwap.Core.Storage.Postgres;

/// <summary>
/// Inputs and results as <c>bytea</c> rows, so every node serves every file (an attachment URL works whichever
/// node answers it). A row is written in one committed statement: a crash never leaves half a blob.
/// </summary>
public sealed class PostgresBlobStore(PostgresDatabase database) : IBlobStore
{
    public async Task<string> PutAsync(byte[] content, CancellationToken cancellationToken)
    {
        var id = ApiTokens.Base64Url(RandomNumberGenerator.GetBytes(18));
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO blobs (id, content) VALUES (@id, @content)", new { id, content }, cancellationToken: cancellationToken));
        return id;
    }

    public async Task<byte[]?> GetAsync(string blobId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<byte[]>(new CommandDefinition(
            "SELECT content FROM blobs WHERE id = @blobId", new { blobId }, cancellationToken: cancellationToken));
    }

    public async Task DeleteAsync(string blobId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM blobs WHERE id = @blobId", new { blobId }, cancellationToken: cancellationToken));
    }
}
