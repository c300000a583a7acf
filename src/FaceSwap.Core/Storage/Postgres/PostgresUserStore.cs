using Dapper;
using FaceSwap.Core.Users;

namespace FaceSwap.Core.Storage.Postgres;

/// <summary>Users and their API tokens (hashes only) on PostgreSQL, shared by every node and the users CLI.</summary>
public sealed class PostgresUserStore(PostgresDatabase database) : IUserStore
{
    /// <summary>The transaction-level advisory lock that serializes bootstrap-token writes of nodes starting at once.</summary>
    private const long BootstrapLock = 0x46534274_7374726B;

    private sealed record UserRow(long id, string name, DateTime created, DateTime? expires)
    {
        public User ToUser() => new(id, name, PostgresTime.Read(created), PostgresTime.Read(expires));
    }

    private sealed record TokenRow(long id, long user_id, string hint, DateTime created, DateTime? revoked)
    {
        public ApiToken ToToken() => new(id, user_id, hint, PostgresTime.Read(created), PostgresTime.Read(revoked));
    }

    private sealed record CallerRow(long token_id, string hint, DateTime token_created, DateTime? revoked, long user_id, string name, DateTime user_created, DateTime? expires)
    {
        public (ApiToken, User) ToCaller() => (new TokenRow(token_id, user_id, hint, token_created, revoked).ToToken(), new UserRow(user_id, name, user_created, expires).ToUser());
    }

    private sealed record WebhookRow(string? reply_url, string? webhook_secret, string? webhook_secret_previous, long? webhook_secret_previous_until_ms, int reply_events);

    public async Task<User> AddUserAsync(string name, DateTimeOffset? expires, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var created = PostgresTime.Now();
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "INSERT INTO users (name, created, expires) VALUES (@name, @created, @expires) RETURNING id",
            new { name, created, expires = PostgresTime.Stored(expires) }, cancellationToken: cancellationToken));
        return new User(id, name, created, PostgresTime.Stored(expires));
    }

    public async Task<User?> FindUserAsync(string name, CancellationToken cancellationToken)
    {
        if (!PostgresDatabase.CanHold(name)) return null;
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(
            "SELECT id, name, created, expires FROM users WHERE name = @name", new { name }, cancellationToken: cancellationToken)))?.ToUser();
    }

    public async Task<IReadOnlyList<User>> ListUsersAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<UserRow>(new CommandDefinition(
            "SELECT id, name, created, expires FROM users ORDER BY id", cancellationToken: cancellationToken))).Select(r => r.ToUser()).ToList();
    }

    public async Task SetExpiryAsync(long userId, DateTimeOffset? expires, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET expires = @expires WHERE id = @userId", new { userId, expires = PostgresTime.Stored(expires) }, cancellationToken: cancellationToken));
    }

    public async Task<ApiToken> AddTokenAsync(long userId, string tokenHash, string hint, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var created = PostgresTime.Now();
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "INSERT INTO api_tokens (user_id, hash, hint, created) VALUES (@userId, @tokenHash, @hint, @created) RETURNING id",
            new { userId, tokenHash, hint, created }, cancellationToken: cancellationToken));
        return new ApiToken(id, userId, hint, created, null);
    }

    public async Task<(ApiToken Token, User User)?> FindByTokenHashAsync(string tokenHash, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<CallerRow>(new CommandDefinition(
            """
            SELECT t.id AS token_id, t.hint, t.created AS token_created, t.revoked, u.id AS user_id, u.name, u.created AS user_created, u.expires
            FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = @tokenHash
            """, new { tokenHash }, cancellationToken: cancellationToken));
        return row?.ToCaller();
    }

    public async Task<int> RevokeTokensAsync(long userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE api_tokens SET revoked = @now WHERE user_id = @userId AND revoked IS NULL",
            new { userId, now = PostgresTime.Now() }, cancellationToken: cancellationToken));
    }

    public async Task EnsureBootstrapTokenAsync(long userId, string tokenHash, string hint, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Nodes that start together run this at once: the second waits here, then sees the first's token.
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@BootstrapLock)", new { BootstrapLock }, transaction, cancellationToken: cancellationToken));
        var now = PostgresTime.Now();
        var current = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE api_tokens SET origin = 'bootstrap' WHERE hash = @tokenHash AND user_id = @userId AND revoked IS NULL",
            new { tokenHash, userId }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE api_tokens SET revoked = @now WHERE origin = 'bootstrap' AND hash <> @tokenHash AND revoked IS NULL",
            new { tokenHash, now }, transaction, cancellationToken: cancellationToken));
        if (current == 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO api_tokens (user_id, hash, hint, created, origin) VALUES (@userId, @tokenHash, @hint, @now, 'bootstrap')",
                new { userId, tokenHash, hint, now }, transaction, cancellationToken: cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ApiToken>> ListTokensAsync(long userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<TokenRow>(new CommandDefinition(
            "SELECT id, user_id, hint, created, revoked FROM api_tokens WHERE user_id = @userId ORDER BY id", new { userId }, cancellationToken: cancellationToken)))
            .Select(r => r.ToToken()).ToList();
    }

    public async Task<WebhookSettings> GetWebhookSettingsAsync(long userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<WebhookRow>(new CommandDefinition(
            "SELECT reply_url, webhook_secret, webhook_secret_previous, webhook_secret_previous_until_ms, reply_events FROM users WHERE id = @userId",
            new { userId }, cancellationToken: cancellationToken));
        return new WebhookSettings(row.reply_url, row.webhook_secret, row.webhook_secret_previous,
            row.webhook_secret_previous_until_ms is { } ms ? JobJson.FromMs(ms) : null, (Webhooks.ReplyEvents)row.reply_events);
    }

    public async Task SetReplyUrlAsync(long userId, string? replyUrl, Webhooks.ReplyEvents events, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET reply_url = @replyUrl, reply_events = @events WHERE id = @userId",
            new { userId, replyUrl, events = (int)events }, cancellationToken: cancellationToken));
    }

    public async Task SetWebhookSecretsAsync(long userId, string currentProtected, string? previousProtected, DateTimeOffset? previousUntil, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET webhook_secret = @currentProtected, webhook_secret_previous = @previousProtected, webhook_secret_previous_until_ms = @until WHERE id = @userId",
            new { userId, currentProtected, previousProtected, until = previousUntil is { } p ? JobJson.ToMs(p) : (long?)null }, cancellationToken: cancellationToken));
    }
}
