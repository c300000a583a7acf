using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace FaceSwap.Bench;

/// <summary>
/// Durable submits through HTTP: wrk posting a small async command (each job committed before its answer),
/// against the baseline of this disk: one writer committing single-row inserts with the server's settings
/// (WAL, synchronous=FULL), the most durable commits per second any one-writer design gets here.
/// </summary>
public static class Submits
{
    public static async Task RunAsync(string repo, string work, Options options, Table table)
    {
        var commits = DurableCommitsPerSecond(Path.Combine(work, "commits.db"), options.Duration);
        await using var server = await FaceSwapServer.StartAsync(repo, work, "submits");
        var script = Path.Combine(AppContext.BaseDirectory, "submit.lua");
        var url = new Uri(server.BaseUrl, "/v1/faceswap/headshot").ToString();
        await Wrk.RunAsync(url, options.WarmUp, headers: StatusReads.AuthHeaders, script: script);
        var before = CountJobs(server.DataDir);
        var result = await Wrk.RunAsync(url, options.Duration, headers: StatusReads.AuthHeaders, script: script);
        var stored = CountJobs(server.DataDir) - before;
        if (result.Errors > 0) throw new InvalidOperationException($"{result.Errors} of {result.Requests} submits failed");
        // Every answered submit must be a committed job (wrk may have a few requests cut off at the end).
        if (stored < result.Requests) throw new InvalidOperationException($"{result.Requests} submits answered but only {stored} jobs stored");
        table.Add(new Row("durable submits: `POST /headshot` (async, small), wrk -t1 -c64, each committed before the answer",
            $"{result.Describe("jobs/s")}; {stored:N0} jobs stored", Table.Rate(commits, "commits/s (one writer, same pragmas)"),
            Table.Times(result.RequestsPerSecond / commits), "≥ 1,000 jobs/s", result.RequestsPerSecond >= 1000));
    }

    private static long CountJobs(string dataDir)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDir, "faceswap.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM jobs";
        return (long)command.ExecuteScalar()!;
    }

    private static double DurableCommitsPerSecond(string path, TimeSpan duration)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using (var setup = connection.CreateCommand())
        {
            setup.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE jobs (id TEXT PRIMARY KEY, data TEXT NOT NULL);";
            setup.ExecuteNonQuery();
        }
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO jobs (id, data) VALUES ($id, $data)";
        var id = insert.Parameters.Add("$id", SqliteType.Text);
        insert.Parameters.AddWithValue("$data", new string('x', 600));
        insert.Prepare();
        var clock = Stopwatch.StartNew();
        var count = 0;
        while (clock.Elapsed < duration)
        {
            id.Value = Guid.NewGuid().ToString("N");
            insert.ExecuteNonQuery();
            count++;
        }
        return count / clock.Elapsed.TotalSeconds;
    }
}
