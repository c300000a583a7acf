using FaceSwap.Core.Storage.Postgres;
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
}
