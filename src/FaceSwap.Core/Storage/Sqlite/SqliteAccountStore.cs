using Dapper;
using FaceSwap.Core.Accounts;

namespace FaceSwap.Core.Storage.Sqlite;

public sealed class SqliteAccountStore(SqliteDatabase database, DiscordTokenProtector protector) : IAccountStore
{
    private sealed record Row(long user_id, string channel, string engine, string? server, string? discord_token_protected,
        string? credits_json, string health, string? health_detail, string created, string? health_changed);

    private Account ToAccount(Row row) => new()
    {
        UserId = row.user_id,
        Channel = row.channel,
        Engine = row.engine,
        Server = row.server,
        DiscordToken = row.discord_token_protected is { } protectedToken ? protector.Unprotect(protectedToken) : null,
        Credits = row.credits_json is { } json ? JobJson.Deserialize<Credits>(json) : null,
        Health = Enum.Parse<AccountHealth>(row.health),
        HealthDetail = row.health_detail,
        Created = DateTimeOffset.Parse(row.created),
        HealthChanged = row.health_changed is { } changed ? DateTimeOffset.Parse(changed) : null,
    };

    public async Task<IReadOnlyList<Account>> ListAsync(long userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>("SELECT * FROM accounts WHERE user_id = @userId ORDER BY created, channel", new { userId });
        return rows.Select(ToAccount).ToList();
    }

    public async Task<Account?> GetAsync(long userId, string channel, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(
            "SELECT * FROM accounts WHERE user_id = @userId AND channel = @channel", new { userId, channel });
        return row is null ? null : ToAccount(row);
    }

    public async Task UpsertAsync(Account account, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            """
            INSERT INTO accounts (user_id, channel, engine, server, discord_token_protected, credits_json, health, health_detail, created)
            VALUES (@UserId, @Channel, @Engine, @Server, @Token, @Credits, @Health, @HealthDetail, @Created)
            ON CONFLICT (user_id, channel) DO UPDATE SET engine = excluded.engine, server = excluded.server,
                discord_token_protected = excluded.discord_token_protected, health = excluded.health,
                health_detail = excluded.health_detail
            """,
            new
            {
                account.UserId, account.Channel, account.Engine, account.Server,
                Token = account.DiscordToken is { } token ? protector.Protect(token) : null,
                Credits = account.Credits is { } credits ? JobJson.Serialize(credits) : null,
                Health = account.Health.ToString(), account.HealthDetail, Created = account.Created.ToString("O"),
            });
    }

    public async Task<bool> DeleteAsync(long userId, string channel, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync("DELETE FROM accounts WHERE user_id = @userId AND channel = @channel", new { userId, channel }) > 0;
    }

    public async Task UpdateHealthAsync(long userId, string channel, AccountHealth health, string? detail, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            "UPDATE accounts SET health = @health, health_detail = @detail, health_changed = @now WHERE user_id = @userId AND channel = @channel",
            new { userId, channel, health = health.ToString(), detail, now = DateTimeOffset.UtcNow.ToString("O") });
    }

    public async Task UpdateCreditsAsync(long userId, string channel, Credits credits, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            "UPDATE accounts SET credits_json = @json WHERE user_id = @userId AND channel = @channel",
            new { userId, channel, json = JobJson.Serialize(credits) });
    }
}
