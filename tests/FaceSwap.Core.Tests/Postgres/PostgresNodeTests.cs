using Dapper;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage.Postgres;
using FaceSwap.Core.Tests.Infrastructure;
using FaceSwap.Core.Webhooks;

namespace FaceSwap.Core.Tests.Postgres;

/// <summary>What only a cluster has: nodes that start and stop while the others keep running.</summary>
public sealed class PostgresNodeTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [SkippableFact]
    public async Task A_starting_node_settles_the_keys_of_ended_processes_only()
    {
        await using var server = await TestPostgres.CreateAsync();
        var t0 = new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
        var live = new PostgresIdempotencyStore(server.Open());
        await live.BeginAsync(1, "in-flight", "f", t0, None);
        var ended = new PostgresDatabase(server.ConnectionString);
        await new PostgresIdempotencyStore(ended).BeginAsync(1, "cut-off", "f", t0, None);
        await server.EndAsync(ended);

        // A node that starts later takes every key running before its start for cut off, unless its process lives.
        var starting = new PostgresIdempotencyStore(server.Open());
        Assert.Equal(1, await starting.ReleaseInterruptedAsync(t0.AddMinutes(1), None));

        Assert.Equal(IdempotencyState.Running, (await starting.BeginAsync(1, "in-flight", "f", t0, None)).State);
        Assert.Equal(IdempotencyState.Began, (await starting.BeginAsync(1, "cut-off", "f", t0, None)).State);
        // The live request ends as usual.
        await live.CompleteAsync(1, "in-flight", "job1", None);
        Assert.Equal(new IdempotencyClaim(IdempotencyState.Done, "job1"), await starting.BeginAsync(1, "in-flight", "f", t0, None));
    }

    [SkippableFact]
    public async Task A_blocking_insert_that_waited_for_its_lane_sees_what_committed_meanwhile_whatever_the_default_isolation()
    {
        await using var server = await TestPostgres.CreateAsync();
        var setup = server.Open();
        await using (var admin = await setup.OpenAsync(None))
            await admin.ExecuteAsync($"ALTER DATABASE {server.Name} SET default_transaction_isolation = 'repeatable read'");
        var node = new PostgresJobStore(server.Open(), TestDatabase.Options(new JobsOptions()));

        // Another node is inserting a blocking job on the lane: it holds the lane's lock.
        await using var other = await setup.OpenAsync(None);
        await using var otherInsert = await other.BeginTransactionAsync(None);
        await other.ExecuteAsync($"SELECT pg_advisory_xact_lock({PostgresDatabase.LaneLockSpace}, hashtext('1/c'))", transaction: otherInsert);
        var racing = Task.Run(() => node.InsertAsync(TestJobs.New(1, "c", DateTimeOffset.UtcNow) with { Blocking = true }, exclusiveOnChannel: true, None));
        await Eventually.TrueAsync(async () =>
        {
            await using var look = await setup.OpenAsync(None);
            return await look.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") == 1;
        }, "the insert to wait for the lane");
        await other.ExecuteAsync(
            "INSERT INTO jobs (id, user_id, channel, status, blocking, created_ms, updated_ms, data) VALUES ('first', 1, 'c', 'created', true, 0, 0, '{}')",
            transaction: otherInsert);
        await otherInsert.CommitAsync(None);

        // Under the server's repeatable read, the check would read a snapshot from before the wait and let it in.
        var refused = await racing;
        Assert.False(refused.Inserted);
        Assert.Equal(["first"], refused.ExecutingJobs);
    }

    [SkippableFact]
    public async Task A_node_whose_presence_session_was_cut_takes_its_presence_again()
    {
        await using var server = await TestPostgres.CreateAsync();
        var node = server.Open();
        var keys = new PostgresIdempotencyStore(node);
        await keys.BeginAsync(1, "first", "f", DateTimeOffset.UtcNow, None);
        await using var look = await server.Open().OpenAsync(None);
        async Task<bool> PresentAsync() => await look.ExecuteScalarAsync<bool>($"SELECT {PostgresDatabase.IsPresent("@id")}", new { id = node.PresenceId });
        Assert.True(await PresentAsync());

        // The server ends the session that holds the presence lock (a restart, a network cut, an operator).
        await look.ExecuteAsync(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND objid = hashtext(@id)::oid",
            new { id = node.PresenceId });
        await Eventually.TrueAsync(async () => !await PresentAsync(), "the session to end");

        // Its keep-alive notices within seconds; the node's next key takes the presence again before it is written.
        var next = 0;
        await Eventually.TrueAsync(async () =>
        {
            await keys.BeginAsync(1, $"key{next++}", "f", DateTimeOffset.UtcNow, None);
            return await PresentAsync();
        }, "the presence to come back", TimeSpan.FromSeconds(60));
    }
}
