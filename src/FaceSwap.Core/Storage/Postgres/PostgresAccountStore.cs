using Dapper;
using FaceSwap.Core.Accounts;

namespace FaceSwap.Core.Storage.Postgres;

/// <summary>Users' channels on PostgreSQL; Discord tokens encrypted as on SQLite (the nodes share their keys).</summary>
public sealed class PostgresAccountStore(PostgresDatabase database, DiscordTokenProtector protector) : IAccountStore
{
    private const string Columns = "user_id, channel, engine, server, discord_token_protected, credits_json, health, health_detail, created, health_changed";

    private sealed record Row(long user_id, string channel, string engine, string? server, string? discord_token_protected,
        string? credits_json, string health, string? health_detail, DateTime created, DateTime? health_changed);

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
        Created = PostgresTime.Read(row.created),
        HealthChanged = PostgresTime.Read(row.health_changed),
    };

    public async Task<IReadOnlyList<Account>> ListAsync(long userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM accounts WHERE user_id = @userId ORDER BY created, channel", new { userId }, cancellationToken: cancellationToken));
        return rows.Select(ToAccount).ToList();
    }

    public async Task<Account?> GetAsync(long userId, string channel, CancellationToken cancellationToken)
    {
        if (!PostgresDatabase.CanHold(channel)) return null;
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM accounts WHERE user_id = @userId AND channel = @channel", new { userId, channel }, cancellationToken: cancellationToken));
        return row is null ? null : ToAccount(row);
    }

    public async Task UpsertAsync(Account account, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
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
                Health = account.Health.ToString(), account.HealthDetail, Created = PostgresTime.Stored(account.Created),
            }, cancellationToken: cancellationToken));
    }

    public async Task<bool> DeleteAsync(long userId, string channel, CancellationToken cancellationToken)
    {
        if (!PostgresDatabase.CanHold(channel)) return false;
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM accounts WHERE user_id = @userId AND channel = @channel", new { userId, channel }, cancellationToken: cancellationToken)) > 0;
    }

    public async Task UpdateHealthAsync(long userId, string channel, AccountHealth health, string? detail, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE accounts SET health = @health, health_detail = @detail, health_changed = @now WHERE user_id = @userId AND channel = @channel",
            new { userId, channel, health = health.ToString(), detail, now = PostgresTime.Now() }, cancellationToken: cancellationToken));
    }

    public async Task UpdateCreditsAsync(long userId, string channel, Credits credits, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE accounts SET credits_json = @json WHERE user_id = @userId AND channel = @channel",
            new { userId, channel, json = JobJson.Serialize(credits) }, cancellationToken: cancellationToken));
    }
}
