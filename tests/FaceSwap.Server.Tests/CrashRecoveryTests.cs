using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using FaceSwap.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace FaceSwap.Server.Tests;

/// <summary>
/// The server as its own process, killed with SIGKILL mid-work and started again on the same data folder:
/// every accepted job still exists and every one that was not terminal reaches a terminal state.
/// </summary>
public sealed class CrashRecoveryTests(ITestOutputHelper output)
{
    private const string Token = "crash-test-token-0123456789";

    [Fact]
    public async Task Every_accepted_job_survives_a_kill_and_finishes_after_restart()
    {
        await using var server = await SandboxedServerAsync();
        // Each life binds a port of its own: the client follows the server from the first to the second.
        var client = server.CreateClient(TimeSpan.FromSeconds(30));

        // First life: slow async results and interactions 5 s apart, so jobs are mid-flight at the kill.
        server.Start(Life(asyncResultDelay: "00:01:00", pacing: "00:00:05"));
        string savedId;
        var accepted = new List<string>();
        try
        {
            await server.WaitHealthyAsync();
            await client.PostAsync("saveid", Forms.Multipart(("idname", "me"), ("image", SandboxedServer.FacePhoto())));
            var swapped = await (await client.PostAsync("swapid", Forms.Multipart(("idname", "me"), ("image", SandboxedServer.FacePhoto(seed: 2))))).JsonAsync();
            Assert.Equal("completed", (string?)swapped["status"]);
            savedId = (string)swapped["jobid"]!;
            // Async jobs that need nothing saved with the bot (the restarted sandbox forgets saved ids). Their answers
            // wait for the bot's first reply, which the paced sends make slow: the jobs are read from the list of
            // executing jobs instead. The kill comes once the bot has answered the first of them sent (it shows
            // started), whatever the machine's speed: the sends 5 s apart keep the others queued, so the kill finds
            // one sent and the others never sent. It must: the bot's daily credits pay for two of these picsi, and
            // once two were sent before the kill, none could complete after it.
            for (var i = 0; i < 4; i++)
            {
                _ = client.PostAsync("picsi", Forms.Multipart(("source_image", SandboxedServer.FacePhoto(seed: i)), ("target_image_gif_or_video", Forms.Gif)));
            }
            var statuses = new List<string>();
            for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline && !statuses.Contains("started"); await Task.Delay(50))
            {
                accepted = JsonNode.Parse(await client.GetStringAsync("jobs"))!.AsArray().Select(id => (string)id!).ToList();
                if (accepted.Count < 4) continue;
                statuses.Clear();
                foreach (var jobId in accepted) statuses.Add((string)(await (await client.GetAsync($"jobs/?jobid={jobId}")).JsonAsync())["status"]!);
            }
            Assert.Equal(4, accepted.Count);
            output.WriteLine("at the kill: " + string.Join(", ", statuses));
            Assert.Contains("started", statuses);
            Assert.Contains("created", statuses);
        }
        finally
        {
            await server.KillAsync(); // SIGKILL: no shutdown code runs
        }

        // Second life, same data folder: quick results now.
        server.Start(Life(asyncResultDelay: "00:00:00.500", pacing: "00:00:00.200"));
        try
        {
            await server.WaitHealthyAsync();
            var before = await (await client.GetAsync($"jobs/?jobid={savedId}")).JsonAsync();
            Assert.Equal("completed", (string?)before["status"]);
            using var anonymous = new HttpClient();
            var resultUrl = (string)before["attachments"]![0]!["url"]!;
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(resultUrl)).StatusCode);

            var outcomes = new List<string>();
            foreach (var jobId in accepted)
            {
                var job = await PollUntilTerminalAsync(client, jobId, TimeSpan.FromSeconds(90));
                outcomes.Add((string)job["status"]!);
                if ((string?)job["status"] != "completed") output.WriteLine($"{jobId}: {job["status"]}: {job["error"]} / {job["errorDetails"]}");
                if ((string?)job["status"] == "failed") Assert.False(string.IsNullOrEmpty((string?)job["errorDetails"] ?? (string?)job["error"]));
            }
            output.WriteLine("outcomes after restart: " + string.Join(", ", outcomes));
            Assert.Contains("completed", outcomes);
            Assert.Equal("[]", await client.GetStringAsync("jobs"));
        }
        finally
        {
            await server.KillAsync();
        }
    }

    [SkippableFact]
    public async Task A_kill_during_load_repeats_only_the_commands_that_were_in_flight()
    {
        Skip.If(RunningServer.OnPostgres, RunningServer.SqliteOnly);
        // The emulated Discord lives in this process, so it outlives the killed server and counts across both lives.
        await using var sandbox = await HostedSandbox.StartAsync(channels: 10, asyncResultDelay: TimeSpan.FromSeconds(2));
        var dataDir = NewDataDir();
        Dictionary<string, string> settings = new(
        [
            .. sandbox.ServerSettings(),
            new("FaceSwap:Local:BootstrapChannel", "false"),
            new("FaceSwap:Jobs:LeaseDuration", "00:00:03"),
            new("FaceSwap:Jobs:RecoveryInterval", "00:00:00.500"),
            .. await RunningServer.StorageSettingsAsync(dataDir),
        ]);
        // Under load only what went wrong (and each takeover) is worth reading.
        await using var server = new NodeProcess("server", Token, settings, Log, dataDir);
        // Long enough for an async command answered only once the bot has replied, late in the load; it follows the
        // server from the port of its first life to its second's.
        var client = server.CreateClient(TimeSpan.FromMinutes(5));

        server.Start();
        int receivedAtKill;
        List<Task<(string JobId, string Prompt)>> submissions;
        try
        {
            await server.WaitHealthyAsync();
            foreach (var channel in sandbox.Channels)
            {
                var saved = await client.PostAsync($"account/{channel.Channel}", JsonContent.Create(new { discord = channel.Token, server = channel.Guild, channel = channel.Channel }));
                Assert.True(saved.IsSuccessStatusCode, await saved.Content.ReadAsStringAsync());
            }
            submissions = CommandLoad.StartHeadshots(client, sandbox, 500);
            // Mid-load: the bot has taken part of the commands, results take 2 s each, and many jobs wait their turn.
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while ((receivedAtKill = sandbox.PromptsReceived("headshot").Count) < 150)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"The bot got only {receivedAtKill} commands");
                await Task.Delay(20);
            }
        }
        finally
        {
            await server.KillAsync(); // SIGKILL: no lease is handed back, nothing is flushed
        }
        // Answers cut off by the kill are lost to the client; what was accepted is what the database holds.
        foreach (var submission in submissions)
        {
            try { await submission; } catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
        }
        var accepted = await StoredPromptsAsync(dataDir);
        // Claimed and not finished at the kill: still leased by the dead process. Only these may send again.
        var inFlight = await ClaimedAndUnfinishedAsync(dataDir);

        sandbox.Options.AsyncResultDelay = TimeSpan.FromMilliseconds(200);
        server.Start();
        Dictionary<string, string> outcomes;
        try
        {
            await server.WaitHealthyAsync();
            outcomes = await CommandLoad.WaitAllTerminalAsync(client, accepted.Keys, TimeSpan.FromMinutes(4));
            await CommandLoad.DrainAsync(client, sandbox);
        }
        finally
        {
            await server.KillAsync();
        }

        var received = sandbox.PromptsReceived("headshot");
        var repeated = received.GroupBy(p => p).Where(g => g.Count() > 1).ToDictionary(g => g.Key!, g => g.Count() - 1);
        var inFlightPrompts = inFlight.Select(id => accepted[id]).ToHashSet();
        var unsent = accepted.Where(a => !received.Contains(a.Value)).Select(a => a.Key).ToList();
        output.WriteLine($"accepted: {accepted.Count}; commands when killed: {receivedAtKill}; claimed and unfinished at the kill: {inFlight.Count}; " +
                         $"commands in all: {received.Count}; repeats: {repeated.Values.Sum()} (of {repeated.Count} jobs); never sent: {unsent.Count}; " +
                         $"outcomes: {string.Join(", ", outcomes.Values.GroupBy(s => s).Select(g => $"{g.Key} {g.Count()}"))}");
        await using (var connection = await OpenDatabaseAsync(dataDir))
        {
            // What became of the jobs the kill cut off mid-command (the engine's resume, not the claim, decides it).
            foreach (var jobId in unsent.Concat(outcomes.Where(o => o.Value != "completed").Select(o => o.Key)).Distinct())
            {
                var (status, error, details) = await connection.QuerySingleAsync<(string, string?, string?)>(
                    "SELECT status, json_extract(data, '$.error'), json_extract(data, '$.errorDetails') FROM jobs WHERE id = @jobId", new { jobId });
                output.WriteLine($"{(unsent.Contains(jobId) ? "never sent" : "sent")}, {(inFlight.Contains(jobId) ? "in flight" : "not in flight")}: " +
                                 $"{jobId} ({accepted[jobId]}) {status}: {error} / {details}");
            }
        }
        Assert.InRange(accepted.Count, receivedAtKill, 500);
        // Commands only for accepted jobs; a repeat only for a job that was mid-command at the kill, at most once more.
        Assert.Subset(accepted.Values.ToHashSet(), received.ToHashSet()!);
        Assert.Subset(inFlightPrompts, repeated.Keys.ToHashSet());
        // A job whose command never went out was cut off mid-command too (the kill fell between the engine saving
        // that it sends and sending); how its resume ends is the engine's matter, printed above.
        Assert.Subset(inFlight.ToHashSet(), unsent.ToHashSet());
        Assert.All(repeated.Values, extra => Assert.Equal(1, extra));
        Assert.InRange(repeated.Values.Sum(), 0, inFlight.Count);
        // Nothing is left executing in the database the second life wrote.
        Assert.Empty(await ClaimedAndUnfinishedAsync(dataDir, anyLease: true));
    }

    /// <summary>Each stored job's prompt, by job id: the jobs the killed server had accepted.</summary>
    private static async Task<Dictionary<string, string>> StoredPromptsAsync(string dataDir)
    {
        await using var connection = await OpenDatabaseAsync(dataDir);
        return (await connection.QueryAsync<(string Id, string Prompt)>("SELECT id, json_extract(data, '$.fields.prompt') FROM jobs"))
            .ToDictionary(r => r.Id, r => r.Prompt);
    }

    private static async Task<SqliteConnection> OpenDatabaseAsync(string dataDir)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(dataDir, "faceswap.db"), Pooling = false,
        }.ToString());
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Executing jobs that some process holds a lease on (or, with <paramref name="anyLease"/>, all executing jobs).</summary>
    private static async Task<List<string>> ClaimedAndUnfinishedAsync(string dataDir, bool anyLease = false)
    {
        await using var connection = await OpenDatabaseAsync(dataDir);
        return (await connection.QueryAsync<string>(
            "SELECT id FROM jobs WHERE status IN ('created','started','progress') AND (@anyLease OR lease_owner IS NOT NULL)",
            new { anyLease })).ToList();
    }

    private static string NewDataDir() => Path.Combine(Path.GetTempPath(), "faceswap-tests", Guid.NewGuid().ToString("N"));

    /// <summary>The server with its in-process sandbox, on a fresh data folder (and, on a PostgreSQL run, the folder's database).</summary>
    private async Task<NodeProcess> SandboxedServerAsync()
    {
        var dataDir = NewDataDir();
        Dictionary<string, string> settings = new(
        [
            new("FaceSwap:Sandbox:Enabled", "true"),
            new("FaceSwap:Local:BootstrapChannel", "false"),
            new("FaceSwap:Sandbox:BotReplyDelay", "00:00:00.050"),
            new("FaceSwap:Discord:FastPollInterval", "00:00:00.200"),
            new("FaceSwap:Discord:SlowPollMin", "00:00:00.300"),
            new("FaceSwap:Discord:SlowPollMax", "00:00:00.500"),
            new("FaceSwap:Discord:ReplyTimeout", "00:00:20"),
            new("FaceSwap:Discord:AsyncResultTimeout", "00:00:06"),
            new("FaceSwap:Jobs:LeaseDuration", "00:00:02"),
            new("FaceSwap:Jobs:RecoveryInterval", "00:00:00.500"),
            .. await RunningServer.StorageSettingsAsync(dataDir),
        ]);
        return new NodeProcess("server", Token, settings, Log, dataDir, everyLine: true);
    }

    /// <summary>One life's pace of the sandboxed server: how long async results take, and how far apart interactions go.</summary>
    private static Dictionary<string, string> Life(string asyncResultDelay, string pacing) => new()
    {
        ["FaceSwap:Sandbox:AsyncResultDelay"] = asyncResultDelay,
        ["FaceSwap:Discord:InteractionPacing"] = pacing,
    };

    private void Log(string line)
    {
        try { output.WriteLine(line); } catch (InvalidOperationException) { /* the test has ended */ }
    }

    private static async Task<JsonObject> PollUntilTerminalAsync(HttpClient client, string jobId, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var response = await client.GetAsync($"jobs/?jobid={jobId}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var job = await response.JsonAsync();
            if ((string?)job["status"] is "completed" or "failed" or "moderated" or "cancelled") return job;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Job {jobId} stayed {(string?)job["status"]}");
            await Task.Delay(200);
        }
    }
}
