using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace FaceSwap.Bench;

/// <summary>
/// Durable submits through HTTP: wrk posting a small command (listid, blocking, on local channels: the local
/// engine answers it without image work), each job committed before it runs and its end committed before
/// the answer, against the baseline of this disk: one writer committing single-row inserts with the server's
/// durability (WAL, an fsync per commit), the most durable commits per second one writer gets here.
/// </summary>
public static class Submits
{
    /// <summary>Local channels the submits are spread over (a channel runs one blocking command at a time).</summary>
    private const int Channels = 1024;

    public static async Task RunAsync(string repo, string work, Options options, Table table)
    {
        var commits = DurableCommitsPerSecond(Path.Combine(work, "commits.db"), options.Duration);
        await using var server = await FaceSwapServer.StartAsync(repo, work, "submits");
        await Task.WhenAll(Enumerable.Range(0, Channels).Chunk(64).Select(async chunk =>
        {
            foreach (var i in chunk)
            {
                var saved = await server.Client.PostAsync($"account/bench-{i}",
                    new StringContent("""{"engine":"local"}""", System.Text.Encoding.UTF8, "application/json"));
                if (!saved.IsSuccessStatusCode) throw new InvalidOperationException($"local channel bench-{i}: {(int)saved.StatusCode} {await saved.Content.ReadAsStringAsync()}");
            }
        }));
        // The first local job loads the engine's models; that is start-up, not submitting.
        await server.SubmitAsync("listid", ("channel", "bench-0"));
        var commitsCell = Table.Rate(commits, "commits/s (one writer, fsync per commit)");
        var whole = await MeasureAsync(server, options, "/v1/faceswap/listid", "submit.lua");
        table.Add(new Row("durable submits: `POST /listid` (blocking, local engine, no image), wrk -t1 -c64; each job committed before it runs, its end before the answer",
            whole.Cell, commitsCell, Table.Times(whole.JobsPerSecond / commits), "—", null));

        // The submit alone: an async command whose client prefers to be answered once the job is committed
        // (RFC 7240 respond-async, 202), as a script queueing many jobs does; the jobs then run behind it.
        var queued = await MeasureAsync(server, options, "/v1/faceswap/headshot", "submit-async.lua");
        table.Add(new Row("durable submits: `POST /headshot` (JSON, `Prefer: respond-async`, 202 once committed), wrk -t1 -c64",
            queued.Cell, commitsCell, Table.Times(queued.JobsPerSecond / commits), "≥ 1,000 jobs/s", queued.JobsPerSecond >= 1000));
    }

    /// <summary>
    /// wrk posting with <paramref name="scriptName"/> after a warm-up: successful submits per second, checked
    /// against the jobs the database gained (every answered submit must be a stored job).
    /// </summary>
    private static async Task<(double JobsPerSecond, string Cell)> MeasureAsync(FaceSwapServer server, Options options, string path, string scriptName)
    {
        var script = Path.Combine(AppContext.BaseDirectory, scriptName);
        var url = new Uri(server.BaseUrl, path).ToString();
        await Wrk.RunAsync(url, options.WarmUp, headers: StatusReads.AuthHeaders, script: script);
        var before = CountJobs(server.DataDir);
        var result = await Wrk.RunAsync(url, options.Duration, headers: StatusReads.AuthHeaders, script: script);
        var stored = CountJobs(server.DataDir) - before;
        // A busy channel (429) is possible when one request outlasts a thousand others; only 2xx count as jobs.
        var answered = result.Requests - result.Errors;
        if (answered <= 0) throw new InvalidOperationException($"no submit to {path} succeeded ({result.Errors} errors)");
        if (stored < answered) throw new InvalidOperationException($"{answered} submits to {path} answered but only {stored} jobs stored");
        var jobsPerSecond = answered / (result.Requests / result.RequestsPerSecond);
        return (jobsPerSecond, $"{Table.Rate(jobsPerSecond, "jobs/s")}, p99 {Table.Ms(result.P99Ms)}; {stored:N0} jobs stored" +
                               (result.Errors > 0 ? $", {result.Errors} refused" : ""));
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
