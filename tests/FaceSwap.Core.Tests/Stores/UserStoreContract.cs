using System.Data.Common;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Users;
using FaceSwap.Core.Webhooks;

namespace FaceSwap.Core.Tests.Stores;

/// <summary>Users, tokens, revocation and the user-change counter: what every storage provider must do alike.</summary>
public abstract class UserStoreContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    protected abstract Task<StoreDatabase> CreateAsync();

    [SkippableFact]
    public async Task A_token_is_stored_as_its_hash_and_found_with_its_user()
    {
        await using var database = await CreateAsync();
        var node = database.Open();
        var expires = new DateTimeOffset(2099, 1, 2, 3, 4, 5, TimeSpan.FromHours(2));
        var user = await node.Users.AddUserAsync("ann", expires, None);
        var token = ApiTokens.Generate();
        var added = await node.Users.AddTokenAsync(user.Id, ApiTokens.Hash(token), ApiTokens.Hint(token), None);

        // Another process (a second node, the users CLI) finds it, with the times it was given.
        var found = await database.Open().Users.FindByTokenHashAsync(ApiTokens.Hash(token), None);
        Assert.NotNull(found);
        Assert.Equal(added, found.Value.Token);
        Assert.Equal(user, found.Value.User);
        Assert.Equal(expires, found.Value.User.Expires);
        Assert.Null(await node.Users.FindByTokenHashAsync(ApiTokens.Hash(ApiTokens.Generate()), None));
        Assert.Equal([user], await node.Users.ListUsersAsync(None));
        Assert.Equal(user, await node.Users.FindUserAsync("ann", None));
        Assert.Null(await node.Users.FindUserAsync("bob", None));

        Assert.Equal(0, await database.ScalarAsync<long>($"SELECT count(*) FROM api_tokens WHERE hash = '{token}' OR hint = '{token}'"));
        Assert.Equal(1, await database.ScalarAsync<long>($"SELECT count(*) FROM api_tokens WHERE hash = '{ApiTokens.Hash(token)}'"));
    }

    [SkippableFact]
    public async Task A_name_is_taken_once()
    {
        await using var database = await CreateAsync();
        var node = database.Open();
        await node.Users.AddUserAsync("ann", null, None);
        await Assert.ThrowsAnyAsync<DbException>(() => database.Open().Users.AddUserAsync("ann", null, None));
        Assert.Single(await node.Users.ListUsersAsync(None));
    }

    [SkippableFact]
    public async Task A_revoke_by_another_process_is_seen_by_the_next_counter_read_and_lookup()
    {
        await using var database = await CreateAsync();
        var node = database.Open();
        var user = await node.Users.AddUserAsync("ann", null, None);
        var other = await node.Users.AddUserAsync("bob", null, None);
        var tokens = new[] { ApiTokens.Generate(), ApiTokens.Generate() };
        foreach (var token in tokens) await node.Users.AddTokenAsync(user.Id, ApiTokens.Hash(token), ApiTokens.Hint(token), None);
        var bobs = ApiTokens.Generate();
        await node.Users.AddTokenAsync(other.Id, ApiTokens.Hash(bobs), ApiTokens.Hint(bobs), None);
        var before = await node.Changes.VersionAsync(None);

        var cli = database.Open();
        Assert.Equal(2, await cli.Users.RevokeTokensAsync(user.Id, None));

        Assert.True(await node.Changes.VersionAsync(None) > before);
        foreach (var token in tokens)
            Assert.NotNull((await node.Users.FindByTokenHashAsync(ApiTokens.Hash(token), None))!.Value.Token.Revoked);
        Assert.Null((await node.Users.FindByTokenHashAsync(ApiTokens.Hash(bobs), None))!.Value.Token.Revoked);
        Assert.Equal(0, await cli.Users.RevokeTokensAsync(user.Id, None));
        Assert.All(await node.Users.ListTokensAsync(user.Id, None), t => Assert.NotNull(t.Revoked));
    }

    [SkippableFact]
    public async Task An_expiry_change_bumps_the_counter_and_adding_users_or_tokens_does_not()
    {
        await using var database = await CreateAsync();
        var node = database.Open();
        var start = await node.Changes.VersionAsync(None);
        var user = await node.Users.AddUserAsync("ann", null, None);
        await node.Users.AddTokenAsync(user.Id, ApiTokens.Hash(ApiTokens.Generate()), "…abcd", None);
        // Adding turns no accepted token away, so token caches stay warm.
        Assert.Equal(start, await node.Changes.VersionAsync(None));

        var until = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await database.Open().Users.SetExpiryAsync(user.Id, until, None);
        var afterExpiry = await node.Changes.VersionAsync(None);
        Assert.True(afterExpiry > start);
        Assert.Equal(until, (await node.Users.FindUserAsync("ann", None))!.Expires);

        await node.Users.SetExpiryAsync(user.Id, null, None);
        Assert.True(await node.Changes.VersionAsync(None) > afterExpiry);
        Assert.Null((await node.Users.FindUserAsync("ann", None))!.Expires);
    }

    [SkippableFact]
    public async Task Counter_reads_that_start_after_a_commit_all_see_it()
    {
        await using var database = await CreateAsync();
        var node = database.Open();
        var user = await node.Users.AddUserAsync("ann", null, None);
        var token = ApiTokens.Generate();
        await node.Users.AddTokenAsync(user.Id, ApiTokens.Hash(token), ApiTokens.Hint(token), None);
        // Many requests at once share reads; a revoke lands while they run.
        var before = await node.Changes.VersionAsync(None);
        var during = Enumerable.Range(0, 200).Select(_ => Task.Run(async () => await node.Changes.VersionAsync(None))).ToList();
        await database.Open().Users.RevokeTokensAsync(user.Id, None);
        var after = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(async () => await node.Changes.VersionAsync(None))));

        Assert.All(await Task.WhenAll(during), v => Assert.InRange(v, before, before + 1));
        Assert.All(after, v => Assert.Equal(before + 1, v));
    }

    [SkippableFact]
    public async Task The_bootstrap_token_is_kept_while_current_and_replaced_when_the_setting_changes()
    {
        await using var database = await CreateAsync();
        var node = database.Open();
        var user = await node.Users.AddUserAsync("bootstrap", null, None);
        var own = ApiTokens.Generate();
        await node.Users.AddTokenAsync(user.Id, ApiTokens.Hash(own), ApiTokens.Hint(own), None);

        await node.Users.EnsureBootstrapTokenAsync(user.Id, ApiTokens.Hash("first-setting-0123456789"), "…6789", None);
        await node.Users.EnsureBootstrapTokenAsync(user.Id, ApiTokens.Hash("first-setting-0123456789"), "…6789", None);
        Assert.Equal(2, (await node.Users.ListTokensAsync(user.Id, None)).Count(t => t.Revoked is null));

        var before = await node.Changes.VersionAsync(None);
        await node.Users.EnsureBootstrapTokenAsync(user.Id, ApiTokens.Hash("second-setting-0123456789"), "…6789", None);
        Assert.NotNull((await node.Users.FindByTokenHashAsync(ApiTokens.Hash("first-setting-0123456789"), None))!.Value.Token.Revoked);
        Assert.Null((await node.Users.FindByTokenHashAsync(ApiTokens.Hash("second-setting-0123456789"), None))!.Value.Token.Revoked);
        // A token the operator issued is not the setting's: it stays.
        Assert.Null((await node.Users.FindByTokenHashAsync(ApiTokens.Hash(own), None))!.Value.Token.Revoked);
        Assert.True(await node.Changes.VersionAsync(None) > before);
    }

    [SkippableFact]
    public async Task Nodes_starting_together_store_the_bootstrap_token_once()
    {
        await using var database = await CreateAsync();
        var user = await database.Open().Users.AddUserAsync("bootstrap", null, None);
        var nodes = Enumerable.Range(0, 4).Select(_ => database.Open()).ToList();
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var starts = nodes.Select(node => Task.Run(async () =>
        {
            await go.Task;
            await node.Users.EnsureBootstrapTokenAsync(user.Id, ApiTokens.Hash("setting-0123456789"), "…6789", None);
        })).ToList();
        go.SetResult();
        await Task.WhenAll(starts);

        var token = Assert.Single(await nodes[0].Users.ListTokensAsync(user.Id, None));
        Assert.Null(token.Revoked);
    }

    [SkippableFact]
    public async Task Webhook_settings_are_kept_per_user()
    {
        await using var database = await CreateAsync();
        var node = database.Open();
        var ann = await node.Users.AddUserAsync("ann", null, None);
        var bob = await node.Users.AddUserAsync("bob", null, None);
        Assert.Equal(new WebhookSettings(null, null, null, null, ReplyEvents.Final), await node.Users.GetWebhookSettingsAsync(ann.Id, None));

        var until = DateTimeOffset.FromUnixTimeMilliseconds(4_102_444_800_123);
        await node.Users.SetReplyUrlAsync(ann.Id, "https://example.com/hook", ReplyEvents.Started | ReplyEvents.Progress, None);
        await node.Users.SetWebhookSecretsAsync(ann.Id, "current-protected", "previous-protected", until, None);

        Assert.Equal(new WebhookSettings("https://example.com/hook", "current-protected", "previous-protected", until, ReplyEvents.Started | ReplyEvents.Progress),
            await database.Open().Users.GetWebhookSettingsAsync(ann.Id, None));
        Assert.Equal(new WebhookSettings(null, null, null, null, ReplyEvents.Final), await node.Users.GetWebhookSettingsAsync(bob.Id, None));
        await node.Users.SetReplyUrlAsync(ann.Id, null, ReplyEvents.Final, None);
        Assert.Null((await node.Users.GetWebhookSettingsAsync(ann.Id, None)).ReplyUrl);
    }
}

public sealed class SqliteUserStoreTests : UserStoreContract
{
    protected override Task<StoreDatabase> CreateAsync() => Task.FromResult<StoreDatabase>(new SqliteStoreDatabase());
}

public sealed class PostgresUserStoreTests : UserStoreContract
{
    protected override Task<StoreDatabase> CreateAsync() => PostgresStoreDatabase.CreateAsync();
}
