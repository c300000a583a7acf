using System.CommandLine;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FaceSwap.Core.Engines;
using FaceSwap.Core.Jobs;
using FaceSwap.Server.Cli;
using FaceSwap.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FaceSwap.Server.Tests;

/// <summary>The small items of the hostile-input review, one test each, against the real server.</summary>
public sealed class SmallItemsTests
{
    private const string Channel = "1100000000000000001";

    private static async Task<RunningServer> StartAsync(IEngine engine, Dictionary<string, string?>? settings = null, string? dataDir = null)
    {
        var server = await RunningServer.StartAsync(settings, services => services.AddSingleton(engine), dataDir);
        await server.AddAccountAsync(await server.BootstrapUserIdAsync(), Channel, GatedEngine.DefaultName);
        return server;
    }

    private static HttpRequestMessage SaveId(string key) =>
        new(HttpMethod.Post, "saveid") { Content = Forms.Multipart(("idname", "me"), ("image", Forms.Png)), Headers = { { "Idempotency-Key", key } } };

    /// <summary>The database as a process killed at this moment leaves it (SQLite's online backup), in a data folder of its own.</summary>
    private static string Snapshot(RunningServer server)
    {
        var copy = Path.Combine(Path.GetTempPath(), "faceswap-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(copy);
        using (var source = new SqliteConnection($"Data Source={Path.Combine(server.DataDir, "faceswap.db")};Pooling=False"))
        using (var target = new SqliteConnection($"Data Source={Path.Combine(copy, "faceswap.db")};Pooling=False"))
        {
            source.Open();
            target.Open();
            source.BackupDatabase(target);
        }
        foreach (var folder in new[] { "keys", "blobs" })
        {
            var from = Path.Combine(server.DataDir, folder);
            if (!Directory.Exists(from)) continue;
            foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            {
                var to = Path.Combine(copy, folder, Path.GetRelativePath(from, file));
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.Copy(file, to);
            }
        }
        return copy;
    }

    private static void Execute(string dataDir, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDir, "faceswap.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [SkippableFact]
    public async Task An_idempotency_key_cut_off_by_a_crash_is_settled_at_restart()
    {
        Skip.If(RunningServer.OnPostgres, RunningServer.SqliteOnly);
        var engine = new GatedEngine();
        string stored, lost, jobId;
        await using (var server = await StartAsync(engine, new() { ["FaceSwap:Jobs:BlockingWait"] = "00:00:30" }))
        {
            var running = server.Client.SendAsync(SaveId("crash-key"));
            for (var i = 0; i < 600 && engine.Runs.IsEmpty; i++) await Task.Delay(50);
            jobId = engine.Runs.Single();
            Assert.Equal(HttpStatusCode.Conflict, (await server.Client.SendAsync(SaveId("crash-key"))).StatusCode);
            // Killed now: the job was stored. Killed a moment earlier: the job row was not written yet.
            stored = Snapshot(server);
            lost = Snapshot(server);
            Execute(lost, $"DELETE FROM jobs WHERE id = '{jobId}'");
            engine.Open(jobId);
            await running;
        }

        engine.AutoComplete = true;
        await using (var restarted = await StartAsync(engine, dataDir: stored))
        {
            var retry = await restarted.Client.SendAsync(SaveId("crash-key"));
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
            Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
            Assert.Equal(jobId, (string?)(await retry.JsonAsync())["jobid"]);
        }
        await using (var restarted = await StartAsync(engine, dataDir: lost))
        {
            var retry = await restarted.Client.SendAsync(SaveId("crash-key"));
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
            Assert.False(retry.Headers.Contains("Idempotent-Replayed"));
            var job = await retry.JsonAsync();
            Assert.NotEqual(jobId, (string?)job["jobid"]);
            Assert.Equal("completed", (string?)job["status"]);
        }
    }

    [Fact]
    public async Task A_replaced_bootstrap_token_stops_working_and_other_tokens_stay()
    {
        string dataDir;
        string issued;
        await using (var first = await RunningServer.StartAsync())
        {
            dataDir = first.DataDir;
            Assert.Equal(HttpStatusCode.NotFound, (await first.Client.GetAsync("account")).StatusCode);
            // A token the operator issued to the same user by hand is not the setting's.
            var output = new StringWriter();
            var root = new RootCommand { UsersCommand.Create(first.CliUserStore, output) };
            Assert.Equal(0, await root.Parse(["users", "token", "bootstrap"]).InvokeAsync());
            issued = Regex.Match(output.ToString(), "fs_[A-Za-z0-9_-]{43}").Value;
        }
        const string replacement = "replaced-bootstrap-token-9876543210";
        await using var second = await RunningServer.StartAsync(new Dictionary<string, string?> { ["FaceSwap:Auth:BootstrapToken"] = replacement }, dataDir: dataDir);
        Assert.Equal(HttpStatusCode.PaymentRequired, (await second.Client.GetAsync("account")).StatusCode);
        using var now = second.CreateClient(replacement);
        Assert.Equal(HttpStatusCode.NotFound, (await now.GetAsync("account")).StatusCode);
        using var byHand = second.CreateClient(issued);
        Assert.Equal(HttpStatusCode.NotFound, (await byHand.GetAsync("account")).StatusCode);
    }

    [Fact]
    public async Task Users_list_shows_at_most_four_characters_of_a_token()
    {
        await using var server = await RunningServer.StartAsync();
        var output = new StringWriter();
        var root = new RootCommand { UsersCommand.Create(server.CliUserStore, output) };
        await root.Parse(["users", "add", "erin"]).InvokeAsync();
        var token = Regex.Match(output.ToString(), "fs_[A-Za-z0-9_-]{43}").Value;
        output.GetStringBuilder().Clear();
        await root.Parse(["users", "list"]).InvokeAsync();
        var line = output.ToString().Split('\n').Single(l => l.Contains("\terin\t"));
        var hints = Regex.Match(line, "tokens=([^\t]*)").Groups[1].Value.Split(',');
        var hint = Assert.Single(hints);
        var shown = hint.TrimStart('…');
        Assert.InRange(shown.Length, 0, 4);
        Assert.EndsWith(shown, token);
        Assert.DoesNotContain(token[..6], line);
        // The bootstrap user's token (the setting's) is shown the same way.
        Assert.All(Regex.Matches(output.ToString(), "tokens=([^\t]*)").Select(m => m.Groups[1].Value).SelectMany(h => h.Split(',')),
            h => Assert.InRange(h.TrimStart('…').Length, 0, 4));
    }

    [Fact]
    public async Task Delivery_errors_never_tell_what_a_name_resolves_to()
    {
        var engine = new GatedEngine { AutoComplete = true };
        await using var server = await StartAsync(engine, new()
        {
            ["FaceSwap:Webhooks:AllowedHosts:0"] = "localhost",
            ["FaceSwap:Webhooks:RetrySchedule:0"] = "00:00:00",
        });
        // Nothing listens on port 9 (discard): the connection is refused.
        var job = await (await server.Client.PostAsync("listid", Forms.Multipart(("replyUrl", "http://localhost:9/hook")))).JsonAsync();
        JsonArray log;
        var tries = 0;
        do
        {
            await Task.Delay(100);
            log = JsonNode.Parse(await server.Client.GetStringAsync($"jobs/deliveries?jobid={job["jobid"]}"))!.AsArray();
        } while ((log.Count == 0 || log[0]!["attempts"]!.AsArray().Count == 0) && ++tries < 300);
        var error = (string)log[0]!["attempts"]![0]!["error"]!;
        Assert.StartsWith("Could not connect", error);
        Assert.DoesNotMatch(new Regex(@"\d+\.\d+\.\d+\.\d+|::1|\[::"), error);
    }

    [Fact]
    public async Task A_default_reply_url_the_guard_now_refuses_is_400_at_submit()
    {
        var engine = new GatedEngine { AutoComplete = true };
        string dataDir;
        await using (var open = await StartAsync(engine, new() { ["FaceSwap:Webhooks:AllowedNetworks:0"] = "127.0.0.2/32" }))
        {
            dataDir = open.DataDir;
            Assert.Equal(HttpStatusCode.NoContent, (await open.Client.PostAsJsonAsync("webhook", new { replyUrl = "http://127.0.0.2:9/hook" })).StatusCode);
        }
        // The operator closed the range since: jobs that would call the default are refused, not silently undelivered.
        await using var closed = await RunningServer.StartAsync(services: services => services.AddSingleton<IEngine>(engine), dataDir: dataDir);
        var response = await closed.Client.PostAsync("listid", Forms.Multipart());
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.JsonAsync();
        Assert.Equal("Param replyUrl (http://127.0.0.2:9/hook) can not receive callbacks", (string?)error["error"]);
        Assert.Contains("default replyUrl", (string?)error["errorDetails"]);
        Assert.Contains("FaceSwap:Webhooks:AllowedNetworks", (string?)error["errorDetails"]);
        Assert.Equal("[]", await closed.Client.GetStringAsync("jobs"));
    }

    [Fact]
    public async Task Model_paths_are_only_in_the_operators_command()
    {
        var engine = new GatedEngine();
        var missingModels = Path.Combine(Path.GetTempPath(), "faceswap-tests", Guid.NewGuid().ToString("N"), "no-models-here");
        await using var server = await StartAsync(engine, new() { ["FaceSwap:Local:ModelsDir"] = missingModels });
        await server.AddAccountAsync(await server.BootstrapUserIdAsync(), "studio", "local");

        var shown = await (await server.Client.GetAsync("account/studio")).JsonAsync();
        var capabilities = shown["capabilities"]!.ToJsonString();
        Assert.Contains("no-models-here", capabilities);
        Assert.DoesNotContain(Path.GetDirectoryName(missingModels)!, capabilities);
        Assert.DoesNotContain("\"/", capabilities);
        Assert.DoesNotContain(Path.GetTempPath(), (await (await server.Client.GetAsync("account")).JsonAsync()).ToJsonString());

        // The operator sees the whole path.
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["FaceSwap:Local:ModelsDir"] = missingModels }).Build();
        var output = new StringWriter();
        var root = new RootCommand { ModelsCommand.Create(() => ModelsCommand.Options(configuration, server.DataDir), output) };
        Assert.Equal(0, await root.Parse(["models"]).InvokeAsync());
        Assert.Contains(missingModels, output.ToString());
        Assert.Contains("\"tier\"", output.ToString());
    }

    [Fact]
    public async Task Served_files_tell_browsers_not_to_sniff()
    {
        await using var server = await StartAsync(new GatedEngine { AutoComplete = true });
        var job = await (await server.Client.PostAsync("saveid", Forms.Multipart(("idname", "me"), ("image", Forms.Png)))).JsonAsync();
        using var anonymous = new HttpClient();
        var file = await anonymous.GetAsync((string)job["attachments"]![0]!["url"]!);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal("nosniff", file.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("image/png", file.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task An_async_command_answers_with_the_first_reply()
    {
        var engine = new FirstReplyEngine();
        await using var server = await StartAsync(engine);
        var answer = server.Client.PostAsync("headshot", Forms.Multipart(("prompt", "me, a knight")));
        var jobId = await engine.Sent.Task.WaitAsync(TimeSpan.FromSeconds(20));
        // The command is with the bot, which has not answered yet: so neither has the API.
        Assert.False(answer.IsCompleted);
        engine.Reply.SetResult($"Picsi.Ai Headshot Job Submitted [jobid: {jobId}] [credits: 4]");
        var job = await (await answer).JsonAsync();
        Assert.Equal("started", (string?)job["status"]);
        Assert.Equal($"Picsi.Ai Headshot Job Submitted [jobid: {jobId}] [credits: 4]", (string?)job["content"]);
        Assert.Equal(jobId, (string?)job["jobid"]);
    }

    [Fact]
    public async Task An_async_command_the_bot_does_not_answer_returns_the_job_as_it_stands_after_the_bound()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var engine = new FirstReplyEngine();
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["FaceSwap:Jobs:BlockingWait"] = "00:01:00" },
            services => services.AddSingleton<IEngine>(engine).AddSingleton<TimeProvider>(clock));
        await server.AddAccountAsync(await server.BootstrapUserIdAsync(), Channel, GatedEngine.DefaultName);
        var answer = server.Client.PostAsync("headshot", Forms.Multipart(("prompt", "me, a knight")));
        var jobId = await engine.Sent.Task.WaitAsync(TimeSpan.FromSeconds(20));
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.False(answer.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        var job = await (await answer.WaitAsync(TimeSpan.FromSeconds(20))).JsonAsync();
        Assert.Equal(jobId, (string?)job["jobid"]);
        Assert.Equal("created", (string?)job["status"]);
        Assert.Null(job["content"]);
    }

    /// <summary>Sends the command (the job stays created), then reports it started with the bot's first reply when the test gives it.</summary>
    private sealed class FirstReplyEngine : IEngine
    {
        public TaskCompletionSource<string> Sent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource<string> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public string Name => GatedEngine.DefaultName;

        public async Task RunAsync(IJobExecution execution, CancellationToken cancellationToken)
        {
            Sent.SetResult(execution.Job.Id);
            var content = await Reply.Task.WaitAsync(cancellationToken);
            await execution.ReportAsync(JobStatus.Started, new UpstreamMessage("1234567890123456789", content), cancellationToken);
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }
}
