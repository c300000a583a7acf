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
        var script = Path.Combine(AppContext.BaseDirectory, "submit.lua");
        var url = new Uri(server.BaseUrl, "/v1/faceswap/listid").ToString();
        await Wrk.RunAsync(url, options.WarmUp, headers: StatusReads.AuthHeaders, script: script);
        var before = CountJobs(server.DataDir);
        var result = await Wrk.RunAsync(url, options.Duration, headers: StatusReads.AuthHeaders, script: script);
        var stored = CountJobs(server.DataDir) - before;
        // A busy channel (429) is possible when one request outlasts a thousand others; only 200s count as jobs.
        var seconds = result.Requests / result.RequestsPerSecond;
        var jobsPerSecond = (result.Requests - result.Errors) / seconds;
        if (result.Requests - result.Errors <= 0) throw new InvalidOperationException($"no submit succeeded ({result.Errors} errors)");
        if (stored < result.Requests - result.Errors) throw new InvalidOperationException($"{result.Requests - result.Errors} submits answered but only {stored} jobs stored");
        table.Add(new Row("durable submits: `POST /listid` (blocking, local engine, no image), wrk -t1 -c64; each job committed before it runs, its end before the answer",
            $"{Table.Rate(jobsPerSecond, "jobs/s")}, p99 {Table.Ms(result.P99Ms)}; {stored:N0} jobs stored" + (result.Errors > 0 ? $", {result.Errors} refused" : ""),
            Table.Rate(commits, "commits/s (one writer, fsync per commit)"),
            Table.Times(jobsPerSecond / commits), "—", null));

        // The submit alone: an async command whose client prefers to be answered once the job is committed
        // (RFC 7240 respond-async, 202), as a script queueing many jobs does; the jobs then run behind it.
        var asyncScript = Path.Combine(AppContext.BaseDirectory, "submit-async.lua");
        var asyncUrl = new Uri(server.BaseUrl, "/v1/faceswap/headshot").ToString();
        await Wrk.RunAsync(asyncUrl, options.WarmUp, headers: StatusReads.AuthHeaders, script: asyncScript);
        var asyncBefore = CountJobs(server.DataDir);
        var queued = await Wrk.RunAsync(asyncUrl, options.Duration, headers: StatusReads.AuthHeaders, script: asyncScript);
        var asyncStored = CountJobs(server.DataDir) - asyncBefore;
        var accepted = queued.Requests - queued.Errors;
        if (accepted <= 0) throw new InvalidOperationException($"no respond-async submit succeeded ({queued.Errors} errors)");
        if (asyncStored < accepted) throw new InvalidOperationException($"{accepted} submits answered 202 but only {asyncStored} jobs stored");
        var queuedPerSecond = accepted / (queued.Requests / queued.RequestsPerSecond);
        table.Add(new Row("durable submits: `POST /headshot` (JSON, `Prefer: respond-async`, 202 once committed), wrk -t1 -c64",
            $"{Table.Rate(queuedPerSecond, "jobs/s")}, p99 {Table.Ms(queued.P99Ms)}; {asyncStored:N0} jobs stored" + (queued.Errors > 0 ? $", {queued.Errors} refused" : ""),
            Table.Rate(commits, "commits/s (one writer, fsync per commit)"),
            Table.Times(queuedPerSecond / commits), "≥ 1,000 jobs/s", queuedPerSecond >= 1000));
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
