using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FaceSwap.Server.Hosting;
using FaceSwap.Server.Tests.Infrastructure;
using Npgsql;

namespace FaceSwap.Server.Tests;

/// <summary>
/// The sandbox's state where the stores are: a node on PostgreSQL keeps its in-process sandbox's state in the database
/// (so a node restarted with an empty data folder finds Discord as it left it), one such sandbox runs per database,
/// and the standalone sandbox keeps its state there too with <c>--postgres</c>.
/// </summary>
public sealed class SandboxOnPostgresTests
{
    private static Dictionary<string, string?> NodeSettings(SharedDatabase database, string asyncResultDelay = "00:00:00.600")
    {
        var settings = SandboxedServer.Settings(
            ("FaceSwap:Sandbox:AsyncResultDelay", asyncResultDelay),
            ("FaceSwap:Sandbox:OtherTraffic", "0"),
            ("FaceSwap:Discord:AsyncResultTimeout", "00:02:00"),
            // A job a stopped node ran is taken over within seconds.
            ("FaceSwap:Jobs:LeaseDuration", "00:00:03"),
            ("FaceSwap:Jobs:RecoveryInterval", "00:00:00.500"));
        foreach (var (key, value) in database.ServerSettings()) settings[key] = value;
        return settings;
    }

    private static async Task<JsonObject> PostAsync(RunningServer server, string path, params (string, object)[] parts)
    {
        var response = await server.Client.PostAsync(path, Forms.Multipart(parts));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    [SkippableFact]
    public async Task A_node_restarted_with_an_empty_data_folder_finds_the_sandbox_as_it_left_it()
    {
        await using var database = await SharedDatabase.CreateAsync();
        // The headshot's result is due seconds after it was accepted: after the first node has stopped.
        var settings = NodeSettings(database, asyncResultDelay: "00:00:08");
        string firstFolder, userId, jobId;
        int creditsLeft;
        List<ulong> messages;
        await using (var first = await RunningServer.StartAsync(settings))
        {
            firstFolder = first.DataDir;
            var saved = await PostAsync(first, "saveid", ("idname", "me"), ("image", SandboxedServer.FacePhoto()));
            Assert.True((string?)saved["status"] == "completed", saved.ToJsonString());
            var headshot = await PostAsync(first, "headshot", ("prompt", "me, a mad king"));
            Assert.Contains("Job Submitted [jobid:", (string?)headshot["content"]);
            jobId = (string)headshot["jobid"]!;

            var sandbox = first.Sandbox();
            Assert.Equal(1, sandbox.UnfinishedJobs);
            userId = sandbox.State.FindAccount(SandboxedServer.SandboxToken)!.UserId;
            creditsLeft = sandbox.State.Credits.Left(userId);
            Assert.True(creditsLeft < 50, "the commands cost credits");
            messages = sandbox.State.Messages(SandboxedServer.Channel).Select(m => m.Id).ToList();
        }
        Assert.False(Directory.Exists(Path.Combine(firstFolder, "sandbox")), "on PostgreSQL the sandbox keeps nothing in the data folder");

        await using var second = await RunningServer.StartAsync(settings);
        Assert.NotEqual(firstFolder, second.DataDir);
        var again = second.Sandbox();
        Assert.Equal(userId, again.State.FindAccount(SandboxedServer.SandboxToken)!.UserId);
        Assert.Equal(creditsLeft, again.State.Credits.Left(userId));
        Assert.Equal(messages, again.State.Messages(SandboxedServer.Channel).Select(m => m.Id).Take(messages.Count));
        Assert.Equal(["me"], again.State.FindChannel(SandboxedServer.Channel)!.SavedIds.Names);

        // The bot still knows the saved id, and the job it had not finished yet ends with its result.
        var listed = await PostAsync(second, "listid");
        Assert.True((string?)listed["status"] == "completed", listed.ToJsonString());
        Assert.Contains("`me`", (string?)listed["content"]);
        JsonObject job;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        do
        {
            job = (JsonNode.Parse(await second.Client.GetStringAsync($"jobs/?jobid={jobId}")) as JsonObject)!;
            if ((string?)job["status"] is "completed" or "failed") break;
            await Task.Delay(200);
        } while (DateTime.UtcNow < deadline);
        Assert.True((string?)job["status"] == "completed", job.ToJsonString());
        Assert.Contains("Job Completed", (string?)job["content"]);
        Assert.False(Directory.Exists(Path.Combine(second.DataDir, "sandbox")));
    }

    [SkippableFact]
    public async Task A_second_node_with_its_own_sandbox_on_the_same_database_refuses_to_start()
    {
        await using var database = await SharedDatabase.CreateAsync();
        await using var first = await RunningServer.StartAsync(NodeSettings(database));
        var saved = await PostAsync(first, "saveid", ("idname", "first"), ("image", SandboxedServer.FacePhoto()));
        Assert.True((string?)saved["status"] == "completed", saved.ToJsonString());

        var dataDir = Path.Combine(Path.GetTempPath(), "faceswap-tests", Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory };
        foreach (var argument in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "FaceSwap.Server.dll"),
            "--urls", $"http://127.0.0.1:{NodeProcess.FreePort()}",
            $"--FaceSwap:DataDir={dataDir}",
            $"--FaceSwap:Auth:BootstrapToken={RunningServer.Token}",
            "--FaceSwap:Sandbox:Enabled=true",
        }.Concat(database.ServerSettings().Select(s => $"--{s.Key}={s.Value}")))
        {
            start.ArgumentList.Add(argument);
        }
        using var second = Process.Start(start)!;
        var output = second.StandardOutput.ReadToEndAsync();
        var error = second.StandardError.ReadToEndAsync();
        try
        {
            await second.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        }
        finally
        {
            if (!second.HasExited) second.Kill(entireProcessTree: true);
        }

        var said = await error;
        Assert.True(second.ExitCode == 2, $"exit code {second.ExitCode}: {await output}{said}");
        Assert.StartsWith("faceswap: cannot start: another running sandbox holds the sandbox state in PostgreSQL database", said);
        Assert.Contains("set FaceSwap:Sandbox:Enabled=false on every node and point them all at one standalone sandbox", said);
        Assert.DoesNotContain("   at ", said); // a setting to fix, not a stack trace

        // The first node's Discord is untouched and still its own.
        var listed = await PostAsync(first, "listid");
        Assert.Contains("`first`", (string?)listed["content"]);
        Assert.Equal(["first"], first.Sandbox().State.FindChannel(SandboxedServer.Channel)!.SavedIds.Names);
    }

    [SkippableFact]
    public async Task The_standalone_sandbox_on_postgres_keeps_its_state_across_a_restart_and_runs_once_per_database()
    {
        await using var database = await SharedDatabase.CreateAsync();
        const string secret = "never-printed-secret";
        var connection = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Password = secret }.ConnectionString;
        const string token = "standalone-postgres-token", guild = "1700000000000000001", channel = "1700000000000000002";
        int port = NodeProcess.FreePort();
        string[] Arguments(params string[] extra) => ["--port", port.ToString(), "--reply-delay", "0.01", "--postgres", connection, .. extra];
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/api/v10/") };
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", token);
        client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", "FaceSwapServerTests (https://example.invalid, 1.0)");

        var output = new StringWriter();
        var error = new StringWriter();
        string userId;
        using (var stop = new CancellationTokenSource())
        {
            var run = SandboxHosting.RunStandaloneAsync(Arguments("--token", token, "--guild", guild, "--channel", channel), output, error, stop.Token);
            userId = await CurrentUserAsync(client, run);
            var posted = await client.PostAsJsonAsync($"channels/{channel}/messages", new { content = "kept in the database" });
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);

            // A second standalone sandbox on the database stops at once, and leaves the first one's state alone.
            var refusal = new StringWriter();
            Assert.Equal(2, await SandboxHosting.RunStandaloneAsync(["--port", NodeProcess.FreePort().ToString(), "--postgres", connection], TextWriter.Null, refusal, CancellationToken.None));
            Assert.Contains("another running sandbox holds the sandbox state", refusal.ToString());
            Assert.Contains("run one standalone sandbox per database", refusal.ToString());
            Assert.DoesNotContain(secret, refusal.ToString());

            stop.Cancel();
            Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(30)));
        }
        Assert.Contains($"state: PostgreSQL database {database.Name}", output.ToString());
        Assert.DoesNotContain(secret, output.ToString() + error);

        // Started again with no account given: the token, its user and the channel's history are the saved ones.
        using var stopAgain = new CancellationTokenSource();
        var again = SandboxHosting.RunStandaloneAsync(Arguments(), TextWriter.Null, error, stopAgain.Token);
        Assert.Equal(userId, await CurrentUserAsync(client, again));
        var history = JsonNode.Parse(await client.GetStringAsync($"channels/{channel}/messages"))!.AsArray();
        Assert.Contains(history, m => (string?)m!["content"] == "kept in the database");
        stopAgain.Cancel();
        Assert.Equal(0, await again.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task The_sandbox_command_stops_with_exit_code_2_and_a_reason_on_a_bad_argument_or_an_unreachable_database()
    {
        var error = new StringWriter();
        Assert.Equal(2, await SandboxHosting.RunStandaloneAsync(["--colour", "blue"], TextWriter.Null, error, CancellationToken.None));
        Assert.StartsWith("faceswap sandbox: cannot start: unknown argument --colour", error.ToString());

        // Nothing listens on port 1: refused at once, and said without the password.
        error = new StringWriter();
        var unreachable = "Host=127.0.0.1;Port=1;Database=faceswap_sandbox;Username=faceswap;Password=never-printed-secret;Timeout=5";
        Assert.Equal(2, await SandboxHosting.RunStandaloneAsync(["--port", NodeProcess.FreePort().ToString(), "--postgres", unreachable], TextWriter.Null, error, CancellationToken.None));
        Assert.StartsWith("faceswap sandbox: cannot start: cannot open the PostgreSQL database faceswap_sandbox on 127.0.0.1:1", error.ToString());
        // It names the setting to fix: the command's option, not the node's connection string.
        Assert.Contains("(--postgres)", error.ToString());
        Assert.DoesNotContain("ConnectionStrings", error.ToString());
        Assert.DoesNotContain("never-printed-secret", error.ToString());
    }

    /// <summary>The token's user id, once the sandbox that <paramref name="run"/> starts answers.</summary>
    private static async Task<string> CurrentUserAsync(HttpClient client, Task<int> run)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (run.IsCompleted) Assert.Fail($"the sandbox stopped with exit code {await run}");
            try
            {
                return (string)JsonNode.Parse(await client.GetStringAsync("users/@me"))!["id"]!;
            }
            catch (HttpRequestException) { await Task.Delay(100); }
        }
        throw new TimeoutException("the standalone sandbox did not answer");
    }
}
