using Dapper;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage.Sqlite;
using FaceSwap.Core.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace FaceSwap.Core.Tests;

/// <summary>A database written by the previous schema (status in the column and again in the JSON) opened by this one.</summary>
public sealed class StatusMigrationTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "faceswap-core-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Old_rows_lose_their_json_status_and_read_back_unchanged()
    {
        Directory.CreateDirectory(_folder);
        var path = Path.Combine(_folder, "faceswap.db");
        // The schema as the previous release left it, with two jobs it wrote (status in the column and the document).
        await using (var old = new SqliteConnection($"Data Source={path}"))
        {
            await old.OpenAsync();
            await old.ExecuteAsync("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied TEXT NOT NULL)");
            foreach (var (version, sql) in SqliteSchema.Migrations.Where(m => m.Version <= 3))
            {
                await old.ExecuteAsync(sql);
                await old.ExecuteAsync("INSERT INTO schema_migrations VALUES (@version, '2026-11-01T00:00:00Z')", new { version });
            }
            await old.ExecuteAsync(
                """
                INSERT INTO jobs (id, user_id, channel, status, blocking, created_ms, updated_ms, lease_owner, lease_until_ms, data) VALUES
                ('a0', 1, 'c', 'completed', 1, 1764000000000, 1764000001000, NULL, NULL,
                 '{"id":"a0","userId":1,"verb":"SwapId","status":"Completed","created":"2025-11-24T16:00:00+00:00","updated":"2025-11-24T16:00:01+00:00","channel":"c","blocking":true,"fields":{"idname":"me"},"files":{},"upstream":{"content":"done"},"attachments":[]}'),
                ('b1', 1, 'c', 'created', 0, 1764000002000, 1764000002000, 'old-node', 1764000032000,
                 '{"id":"b1","userId":1,"verb":"Headshot","status":"Created","created":"2025-11-24T16:00:02+00:00","updated":"2025-11-24T16:00:02+00:00","channel":"c","blocking":false,"fields":{"prompt":"x"},"files":{},"upstream":{},"attachments":[]}')
                """);
        }

        var database = new SqliteDatabase(path);
        var store = new SqliteJobStore(database, TestDatabase.Options(new JobsOptions()));

        await using (var connection = await database.OpenAsync(CancellationToken.None))
        {
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE json_extract(data, '$.status') IS NOT NULL"));
        }
        var done = (await store.FindAsync("a0", CancellationToken.None)).Job!;
        Assert.Equal(JobStatus.Completed, done.Status);
        Assert.Equal(Verb.SwapId, done.Verb);
        Assert.Equal("done", done.Upstream.Content);
        Assert.Equal("me", done.Field("idname"));

        // The old executing job is claimed like any other once its old lease is over, and still counts attempts.
        var now = DateTimeOffset.FromUnixTimeMilliseconds(1764000040000);
        var claim = Assert.Single(await store.ClaimAsync("new-node", now, now.AddSeconds(30), 8, 10, CancellationToken.None));
        Assert.Equal(("b1", JobStatus.Created, 1, 3), (claim.Job.Id, claim.Job.Status, claim.Attempt, claim.MaxAttempts));
        var started = await store.UpdateLeasedAsync("b1", "new-node", j => j with { Status = JobStatus.Started }, CancellationToken.None);
        Assert.Equal(JobStatus.Started, started.Stored!.Status);
        await using (var connection = await database.OpenAsync(CancellationToken.None))
        {
            var row = await connection.QuerySingleAsync<(string Status, string Data)>("SELECT status, data FROM jobs WHERE id = 'b1'");
            Assert.Equal("started", row.Status);
            Assert.DoesNotContain("\"status\"", row.Data);
        }
    }
}
