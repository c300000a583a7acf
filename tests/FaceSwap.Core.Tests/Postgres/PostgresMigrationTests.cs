using Dapper;
using FaceSwap.Core.Storage.Postgres;

namespace FaceSwap.Core.Tests.Postgres;

/// <summary>Schema migrations on a real PostgreSQL server, as several nodes starting at once run them.</summary>
public sealed class PostgresMigrationTests
{
    [SkippableFact]
    public async Task Three_nodes_opening_an_empty_database_at_once_migrate_it_once()
    {
        await using var server = await TestPostgres.CreateAsync();
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var nodes = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            await go.Task;
            return server.Open();
        })).ToList();
        go.SetResult();
        // Without the lock, the losers of the race fail on tables that already exist.
        var opened = await Task.WhenAll(nodes);

        await using var connection = await opened[0].OpenAsync(CancellationToken.None);
        var versions = (await connection.QueryAsync<long>("SELECT version FROM schema_migrations ORDER BY version")).ToList();
        Assert.Equal(PostgresSchema.Migrations.Select(m => m.Version), versions);
        var tables = (await connection.QueryAsync<string>(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).ToHashSet();
        Assert.Superset(new HashSet<string> { "users", "api_tokens", "accounts", "jobs", "attachments", "deliveries", "delivery_attempts",
            "idempotency_keys", "user_changes", "blobs", "saved_faces", "saved_face_defaults" }, tables);
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM user_changes"));
    }

    [SkippableFact]
    public async Task A_node_opening_a_migrated_database_applies_nothing_again()
    {
        await using var server = await TestPostgres.CreateAsync();
        var first = server.Open();
        await using (var connection = await first.OpenAsync(CancellationToken.None))
        {
            await connection.ExecuteAsync("INSERT INTO users (name, created) VALUES ('ann', now())");
        }
        DateTime appliedBefore;
        await using (var connection = await first.OpenAsync(CancellationToken.None))
            appliedBefore = await connection.ExecuteScalarAsync<DateTime>("SELECT max(applied) FROM schema_migrations");

        var second = server.Open();

        await using var check = await second.OpenAsync(CancellationToken.None);
        Assert.Equal(appliedBefore, await check.ExecuteScalarAsync<DateTime>("SELECT max(applied) FROM schema_migrations"));
        Assert.Equal(["ann"], await check.QueryAsync<string>("SELECT name FROM users"));
    }

    [SkippableFact]
    public async Task A_revoke_or_expiry_bumps_the_user_change_counter_in_its_transaction()
    {
        await using var server = await TestPostgres.CreateAsync();
        var database = server.Open();
        await using var connection = await database.OpenAsync(CancellationToken.None);
        var userId = await connection.ExecuteScalarAsync<long>("INSERT INTO users (name, created) VALUES ('ann', now()) RETURNING id");
        await connection.ExecuteAsync("INSERT INTO api_tokens (user_id, hash, hint, created) VALUES (@userId, 'h', 'x', now())", new { userId });
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT version FROM user_changes"));

        await connection.ExecuteAsync("UPDATE api_tokens SET revoked = now() WHERE user_id = @userId", new { userId });
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT version FROM user_changes"));
        await connection.ExecuteAsync("UPDATE users SET expires = now() WHERE id = @userId", new { userId });
        Assert.Equal(2, await connection.ExecuteScalarAsync<long>("SELECT version FROM user_changes"));
        // A change that cannot turn a token away leaves the counter alone.
        await connection.ExecuteAsync("UPDATE users SET reply_url = 'https://example.org/hook' WHERE id = @userId", new { userId });
        Assert.Equal(2, await connection.ExecuteScalarAsync<long>("SELECT version FROM user_changes"));
    }
}
