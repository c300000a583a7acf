using Dapper;
using FaceSwap.Core.Storage.Postgres;

namespace FaceSwap.Local;

/// <summary>
/// Saved ids in the cluster's PostgreSQL database (storage provider <c>postgres</c>), so an id saved through one
/// node swaps on every other. A row holds the face's own binary record; <c>name_key</c>, the lower-cased name,
/// makes names compare case-insensitively. Each write is one committed statement.
/// </summary>
public sealed class PostgresSavedFaceStore(PostgresDatabase database) : ISavedFaceStore
{
    private sealed record DefaultsRow(string? selection, bool greedy);

    private static string Key(string name) => name.ToLowerInvariant();

    public async Task<IReadOnlyList<string>> ListAsync(long userId, string channel, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var names = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT name FROM saved_faces WHERE user_id = @userId AND channel = @channel", new { userId, channel }, cancellationToken: cancellationToken));
        return names.Order(StringComparer.OrdinalIgnoreCase).ToList();
    }

    public async Task<SavedFace?> GetAsync(long userId, string channel, string name, CancellationToken cancellationToken)
    {
        if (!PostgresDatabase.CanHold(channel) || !PostgresDatabase.CanHold(name)) return null;
        await using var connection = await database.OpenAsync(cancellationToken);
        var content = await connection.QuerySingleOrDefaultAsync<byte[]>(new CommandDefinition(
            "SELECT content FROM saved_faces WHERE user_id = @userId AND channel = @channel AND name_key = @key",
            new { userId, channel, key = Key(name) }, cancellationToken: cancellationToken));
        return content is null ? null : SavedFace.FromBytes(content);
    }

    public async Task<bool> PutAsync(long userId, string channel, SavedFace face, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // xmax is 0 on a row this statement inserted, and this transaction's id on one it updated.
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            """
            INSERT INTO saved_faces (user_id, channel, name_key, name, content) VALUES (@userId, @channel, @key, @name, @content)
            ON CONFLICT (user_id, channel, name_key) DO UPDATE SET name = excluded.name, content = excluded.content,
                updated_ms = excluded.updated_ms
            RETURNING xmax = 0
            """,
            new { userId, channel, key = Key(face.Name), name = face.Name, content = face.ToBytes() }, cancellationToken: cancellationToken));
    }

    public async Task<bool> DeleteAsync(long userId, string channel, string name, CancellationToken cancellationToken)
    {
        if (!PostgresDatabase.CanHold(channel) || !PostgresDatabase.CanHold(name)) return false;
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM saved_faces WHERE user_id = @userId AND channel = @channel AND name_key = @key",
            new { userId, channel, key = Key(name) }, cancellationToken: cancellationToken)) > 0;
    }

    public async Task<int> DeleteAllAsync(long userId, string channel, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM saved_faces WHERE user_id = @userId AND channel = @channel", new { userId, channel }, cancellationToken: cancellationToken));
    }

    public async Task<FaceDefaults> GetDefaultsAsync(long userId, string channel, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<DefaultsRow>(new CommandDefinition(
            "SELECT selection, greedy FROM saved_face_defaults WHERE user_id = @userId AND channel = @channel",
            new { userId, channel }, cancellationToken: cancellationToken));
        return row is null ? new FaceDefaults(null, false) : new FaceDefaults(row.selection, row.greedy);
    }

    public async Task SetDefaultsAsync(long userId, string channel, FaceDefaults defaults, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO saved_face_defaults (user_id, channel, selection, greedy) VALUES (@userId, @channel, @Selection, @Greedy)
            ON CONFLICT (user_id, channel) DO UPDATE SET selection = excluded.selection, greedy = excluded.greedy
            """,
            new { userId, channel, defaults.Selection, defaults.Greedy }, cancellationToken: cancellationToken));
    }
}
