using FaceSwap.Core.Accounts;

namespace FaceSwap.Core.Tests.Stores;

/// <summary>Users' channels: what every storage provider must do alike.</summary>
public abstract class AccountStoreContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    protected abstract Task<StoreDatabase> CreateAsync();

    private static Account Discord(long userId, string channel, DateTimeOffset created) => new()
    {
        UserId = userId, Channel = channel, Engine = EngineNames.Discord, Server = "1100000000000000001",
        DiscordToken = "discord-user-token-secret", Created = created,
    };

    [SkippableFact]
    public async Task An_account_reads_back_as_written_on_every_node_with_its_discord_token_encrypted_at_rest()
    {
        await using var database = await CreateAsync();
        var node = database.Open();
        var ann = await node.Users.AddUserAsync("ann", null, None);
        var bob = await node.Users.AddUserAsync("bob", null, None);
        var created = new DateTimeOffset(2026, 11, 30, 1, 2, 3, TimeSpan.Zero).AddTicks(1234560);
        var first = Discord(ann.Id, "1200000000000000001", created);
        var second = Discord(ann.Id, "1200000000000000002", created.AddSeconds(1)) with { DiscordToken = null, Engine = EngineNames.Local, Server = null };
        await node.Accounts.UpsertAsync(first, None);
        await node.Accounts.UpsertAsync(second, None);
        await node.Accounts.UpsertAsync(Discord(bob.Id, "1200000000000000001", created), None);

        var other = database.Open();
        Assert.Equal(first, await other.Accounts.GetAsync(ann.Id, "1200000000000000001", None));
        Assert.Equal([first, second], await other.Accounts.ListAsync(ann.Id, None));
        Assert.Null(await other.Accounts.GetAsync(ann.Id, "1200000000000000003", None));
        Assert.Equal(0, await database.ScalarAsync<long>("SELECT count(*) FROM accounts WHERE discord_token_protected LIKE '%discord-user-token-secret%'"));
        Assert.Equal(2, await database.ScalarAsync<long>("SELECT count(*) FROM accounts WHERE discord_token_protected IS NOT NULL"));

        Assert.True(await other.Accounts.DeleteAsync(ann.Id, "1200000000000000001", None));
        Assert.False(await other.Accounts.DeleteAsync(ann.Id, "1200000000000000001", None));
        Assert.Equal([second], await node.Accounts.ListAsync(ann.Id, None));
        Assert.NotNull(await node.Accounts.GetAsync(bob.Id, "1200000000000000001", None));
    }

    [SkippableFact]
    public async Task An_upsert_replaces_the_settings_but_keeps_credits_and_creation_time()
    {
        await using var database = await CreateAsync();
        var node = database.Open();
        var ann = await node.Users.AddUserAsync("ann", null, None);
        var created = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        await node.Accounts.UpsertAsync(Discord(ann.Id, "1200000000000000001", created), None);
        var credits = new Credits(new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.Zero), 50, 12);
        await node.Accounts.UpdateCreditsAsync(ann.Id, "1200000000000000001", credits, None);

        await node.Accounts.UpsertAsync(Discord(ann.Id, "1200000000000000001", created.AddDays(5)) with { DiscordToken = "a-new-token", Server = "1100000000000000009" }, None);

        var stored = (await node.Accounts.GetAsync(ann.Id, "1200000000000000001", None))!;
        Assert.Equal("a-new-token", stored.DiscordToken);
        Assert.Equal("1100000000000000009", stored.Server);
        Assert.Equal(credits, stored.Credits);
        Assert.Equal(created, stored.Created);
    }

    [SkippableFact]
    public async Task A_channel_no_store_can_hold_finds_nothing()
    {
        await using var database = await CreateAsync();
        var node = database.Open();
        var ann = await node.Users.AddUserAsync("ann", null, None);
        await node.Accounts.UpsertAsync(Discord(ann.Id, "1200000000000000001", DateTimeOffset.UtcNow), None);
        Assert.Null(await node.Accounts.GetAsync(ann.Id, "1200000000000000001\0", None));
        Assert.False(await node.Accounts.DeleteAsync(ann.Id, "\0", None));
        Assert.Null(await node.Users.FindUserAsync("ann\0", None));
        Assert.Single(await node.Accounts.ListAsync(ann.Id, None));
    }

    [SkippableFact]
    public async Task Health_changes_are_kept_with_their_time()
    {
        await using var database = await CreateAsync();
        var node = database.Open();
        var ann = await node.Users.AddUserAsync("ann", null, None);
        await node.Accounts.UpsertAsync(Discord(ann.Id, "1200000000000000001", DateTimeOffset.UtcNow), None);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        await node.Accounts.UpdateHealthAsync(ann.Id, "1200000000000000001", AccountHealth.CreditsExhausted, "daily limit", None);

        var stored = (await database.Open().Accounts.GetAsync(ann.Id, "1200000000000000001", None))!;
        Assert.Equal(AccountHealth.CreditsExhausted, stored.Health);
        Assert.Equal("daily limit", stored.HealthDetail);
        Assert.InRange(stored.HealthChanged!.Value, before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.False(stored.IsAvailable(stored.HealthChanged.Value));
        Assert.True(stored.IsAvailable(stored.HealthChanged.Value.AddDays(1)));
    }
}

public sealed class SqliteAccountStoreTests : AccountStoreContract
{
    protected override Task<StoreDatabase> CreateAsync() => Task.FromResult<StoreDatabase>(new SqliteStoreDatabase());
}

public sealed class PostgresAccountStoreTests : AccountStoreContract
{
    protected override Task<StoreDatabase> CreateAsync() => PostgresStoreDatabase.CreateAsync();
}
