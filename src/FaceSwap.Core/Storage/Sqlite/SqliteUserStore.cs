using Dapper;
using FaceSwap.Core.Users;

namespace FaceSwap.Core.Storage.Sqlite;

public sealed class SqliteUserStore(SqliteDatabase database) : IUserStore
{
    private sealed record UserRow(long id, string name, string created, string? expires)
    {
        public User ToUser() => new(id, name, DateTimeOffset.Parse(created), expires is null ? null : DateTimeOffset.Parse(expires));
    }

    private sealed record TokenRow(long id, long user_id, string hint, string created, string? revoked)
    {
        public ApiToken ToToken() => new(id, user_id, hint, DateTimeOffset.Parse(created), revoked is null ? null : DateTimeOffset.Parse(revoked));
    }

    public async Task<User> AddUserAsync(string name, DateTimeOffset? expires, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var created = DateTimeOffset.UtcNow;
        var id = await connection.ExecuteScalarAsync<long>(
            "INSERT INTO users (name, created, expires) VALUES (@name, @created, @expires) RETURNING id",
            new { name, created = created.ToString("O"), expires = expires?.ToString("O") });
        return new User(id, name, created, expires);
    }

    public async Task<User?> FindUserAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QuerySingleOrDefaultAsync<UserRow>("SELECT id, name, created, expires FROM users WHERE name = @name", new { name }))?.ToUser();
    }

    public async Task<IReadOnlyList<User>> ListUsersAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<UserRow>("SELECT id, name, created, expires FROM users ORDER BY id")).Select(r => r.ToUser()).ToList();
    }

    public async Task SetExpiryAsync(long userId, DateTimeOffset? expires, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync("UPDATE users SET expires = @expires WHERE id = @userId",
            new { userId, expires = expires?.ToString("O") });
    }

    public async Task<ApiToken> AddTokenAsync(long userId, string tokenHash, string hint, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var created = DateTimeOffset.UtcNow;
        var id = await connection.ExecuteScalarAsync<long>(
            "INSERT INTO api_tokens (user_id, hash, hint, created) VALUES (@userId, @tokenHash, @hint, @created) RETURNING id",
            new { userId, tokenHash, hint, created = created.ToString("O") });
        return new ApiToken(id, userId, hint, created, null);
    }

    public async Task<(ApiToken Token, User User)?> FindByTokenHashAsync(string tokenHash, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var token = await connection.QuerySingleOrDefaultAsync<TokenRow>("SELECT id, user_id, hint, created, revoked FROM api_tokens WHERE hash = @tokenHash", new { tokenHash });
        if (token is null) return null;
        var user = await connection.QuerySingleAsync<UserRow>("SELECT id, name, created, expires FROM users WHERE id = @id", new { id = token.user_id });
        return (token.ToToken(), user.ToUser());
    }

    public async Task<int> RevokeTokensAsync(long userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync("UPDATE api_tokens SET revoked = @now WHERE user_id = @userId AND revoked IS NULL",
            new { userId, now = DateTimeOffset.UtcNow.ToString("O") });
    }

    public async Task EnsureBootstrapTokenAsync(long userId, string tokenHash, string hint, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        var now = DateTimeOffset.UtcNow.ToString("O");
        var current = await connection.ExecuteAsync(
            "UPDATE api_tokens SET origin = 'bootstrap' WHERE hash = @tokenHash AND user_id = @userId AND revoked IS NULL", new { tokenHash, userId }, transaction);
        await connection.ExecuteAsync(
            "UPDATE api_tokens SET revoked = @now WHERE origin = 'bootstrap' AND hash <> @tokenHash AND revoked IS NULL", new { tokenHash, now }, transaction);
        if (current == 0)
        {
            await connection.ExecuteAsync(
                "INSERT INTO api_tokens (user_id, hash, hint, created, origin) VALUES (@userId, @tokenHash, @hint, @now, 'bootstrap')",
                new { userId, tokenHash, hint, now }, transaction);
        }
        transaction.Commit();
    }

    public async Task<IReadOnlyList<ApiToken>> ListTokensAsync(long userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<TokenRow>("SELECT id, user_id, hint, created, revoked FROM api_tokens WHERE user_id = @userId ORDER BY id", new { userId }))
            .Select(r => r.ToToken()).ToList();
    }

    public async Task<WebhookSettings> GetWebhookSettingsAsync(long userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<(string? ReplyUrl, string? Secret, string? Previous, long? PreviousUntil, long Events)>(
            "SELECT reply_url, webhook_secret, webhook_secret_previous, webhook_secret_previous_until_ms, reply_events FROM users WHERE id = @userId", new { userId });
        return new WebhookSettings(row.ReplyUrl, row.Secret, row.Previous, row.PreviousUntil is { } ms ? JobJson.FromMs(ms) : null, (Webhooks.ReplyEvents)row.Events);
    }

    public async Task SetReplyUrlAsync(long userId, string? replyUrl, Webhooks.ReplyEvents events, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync("UPDATE users SET reply_url = @replyUrl, reply_events = @events WHERE id = @userId", new { userId, replyUrl, events = (long)events });
    }

    public async Task SetWebhookSecretsAsync(long userId, string currentProtected, string? previousProtected, DateTimeOffset? previousUntil, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            "UPDATE users SET webhook_secret = @currentProtected, webhook_secret_previous = @previousProtected, webhook_secret_previous_until_ms = @until WHERE id = @userId",
            new { userId, currentProtected, previousProtected, until = previousUntil is { } p ? JobJson.ToMs(p) : (long?)null });
    }
}
