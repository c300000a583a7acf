using System.Text.Json;
using FaceSwap.Cli;
using FaceSwap.Client.Tests.Infrastructure;
using OpenCvSharp;
using Spectre.Console.Testing;

namespace FaceSwap.Client.Tests;

/// <summary>The <c>faceswap</c> CLI run in-process (Spectre's test console) against the real server.</summary>
public sealed class CliTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "faceswap-cli-tests", Guid.NewGuid().ToString("N"));
    private string ConfigPath => Path.Combine(_folder, "config", "faceswap", "config.json");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        // The emulated bot's async result comes well after its first reply, so a headshot is still running when the
        // CLI starts following it, and when a test lists, reads and cancels it in four CLI runs, however loaded the
        // machine is.
        _server = await TestServer.StartAsync(("FaceSwap:Sandbox:AsyncResultDelay", "00:00:05"));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private sealed record Run(int ExitCode, string Console, string Out);

    private async Task<Run> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var console = new TestConsole().Width(200);
        var output = new StringWriter();
        var terminal = new Terminal(console, console, output, name => environment?.GetValueOrDefault(name), ConfigPath);
        var code = await FaceSwapCli.RunAsync(args, terminal).WaitAsync(TimeSpan.FromSeconds(120));
        return new Run(code, console.Output, output.ToString());
    }

    private Task<Run> RunAsync(params string[] args) => RunAsync(null, args);

    private async Task ConfigureAsync() =>
        Assert.Equal(0, (await RunAsync("config", "set", "--base-url", _server.BaseUrl.ToString(), "--token", TestServer.Token)).ExitCode);

    private string WriteFace(string name, int size = 96, int seed = 1)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, TestServer.FacePhoto(size, seed));
        return path;
    }

    [Fact]
    public async Task Config_set_stores_the_settings_once_readable_by_the_owner_only_and_never_shows_the_token()
    {
        var set = await RunAsync("config", "set", "--base-url", _server.BaseUrl.ToString(), "--token", TestServer.Token);
        Assert.Equal(0, set.ExitCode);
        Assert.DoesNotContain(TestServer.Token, set.Console);
        Assert.Contains("cli…789", set.Console);
        Assert.True(File.Exists(ConfigPath));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ConfigPath));

        var show = await RunAsync("config", "show");
        Assert.Equal(0, show.ExitCode);
        Assert.Contains(_server.BaseUrl.ToString(), show.Console);
        Assert.DoesNotContain(TestServer.Token, show.Console);

        // Only the base URL changes; the stored token stays.
        Assert.Equal(0, (await RunAsync("config", "set", "--base-url", "http://127.0.0.1:1")).ExitCode);
        Assert.Contains(TestServer.Token, await File.ReadAllTextAsync(ConfigPath));
        // The environment overrides the file: the server is reached through FACESWAP_BASE_URL.
        var env = new Dictionary<string, string> { ["FACESWAP_BASE_URL"] = _server.BaseUrl.ToString() };
        var listed = await RunAsync(env, "listid", "--json");
        Assert.True(listed.ExitCode == 0, listed.Console);
        Assert.Equal("completed", JsonDocument.Parse(listed.Out).RootElement.GetProperty("status").GetString());
        var shown = await RunAsync(env, "config", "show");
        Assert.Contains("(from FACESWAP_BASE_URL)", shown.Console);
        // Without the environment, the stored (unreachable) URL is used: exit 4.
        var unreachable = await RunAsync("listid");
        Assert.Equal(ExitCodes.Unreachable, unreachable.ExitCode);
    }

    [Fact]
    public async Task Swapid_with_output_writes_an_image_that_decodes()
    {
        await ConfigureAsync();
        var saved = await RunAsync("saveid", "me", WriteFace("face.png"));
        Assert.True(saved.ExitCode == 0, saved.Console);
        Assert.Contains("completed", saved.Console);

        var output = Path.Combine(_folder, "results", "out.png");
        var swapped = await RunAsync("swapid", "me", WriteFace("photo.png", 128, seed: 3), "-o", output);
        Assert.True(swapped.ExitCode == 0, swapped.Console);
        Assert.Contains("faceswap-swapid", swapped.Console);
        Assert.Contains($"Saved {output}", swapped.Console.ReplaceLineEndings(""));
        using var decoded = Cv2.ImDecode(await File.ReadAllBytesAsync(output), ImreadModes.Color);
        Assert.False(decoded.Empty());
        Assert.Equal((128, 128), (decoded.Width, decoded.Height));
    }

    [Fact]
    public async Task Setid_takes_the_prefer_option_as_a_flag_and_refuses_names_with_it()
    {
        await ConfigureAsync();
        var greedy = await RunAsync("setid", "--greedy");
        Assert.True(greedy.ExitCode == 0, greedy.Console);
        var listed = await RunAsync("listid", "--json");
        Assert.Contains("Prefer option: --greedy", JsonDocument.Parse(listed.Out).RootElement.GetProperty("content").GetString());
        var back = await RunAsync("setid", "--nogreedy");
        Assert.True(back.ExitCode == 0, back.Console);
        listed = await RunAsync("listid", "--json");
        Assert.Contains("Prefer option: --nogreedy", JsonDocument.Parse(listed.Out).RootElement.GetProperty("content").GetString());

        var both = await RunAsync("setid", "me", "--greedy");
        Assert.Equal(ExitCodes.Usage, both.ExitCode);
        Assert.Contains("not more than one", both.Console);
        var neither = await RunAsync("setid");
        Assert.Equal(ExitCodes.Usage, neither.ExitCode);
        Assert.Contains("setid needs default name(s)", neither.Console);
    }

    [Fact]
    public async Task An_async_command_shows_its_progress_live_and_saves_its_result()
    {
        await ConfigureAsync();
        Assert.Equal(0, (await RunAsync("saveid", "me", WriteFace("face.png"))).ExitCode);
        var output = Path.Combine(_folder, "headshot.png");
        var headshot = await RunAsync("headshot", "me, an astronaut", "-o", output);
        Assert.True(headshot.ExitCode == 0, headshot.Console);
        // Each change of the job was printed as it came: the bot's first reply, then the end.
        var started = headshot.Console.IndexOf("started", StringComparison.Ordinal);
        var completed = headshot.Console.IndexOf("completed", StringComparison.Ordinal);
        Assert.True(started >= 0 && completed > started, headshot.Console);
        Assert.Contains("Job Submitted", headshot.Console);
        using var decoded = Cv2.ImDecode(await File.ReadAllBytesAsync(output), ImreadModes.Color);
        Assert.False(decoded.Empty());
    }

    [Fact]
    public async Task Jobs_are_listed_read_cancelled_and_watched()
    {
        await ConfigureAsync();
        Assert.Equal(0, (await RunAsync("saveid", "me", WriteFace("face.png"))).ExitCode);
        var queued = await RunAsync("headshot", "me, a mad king", "--no-wait", "--json");
        Assert.Equal(0, queued.ExitCode);
        var jobId = JsonDocument.Parse(queued.Out).RootElement.GetProperty("jobid").GetString()!;

        var executing = await RunAsync("jobs", "list", "--executing", "--json");
        Assert.Contains(jobId, JsonSerializer.Deserialize<string[]>(executing.Out)!);
        var list = await RunAsync("jobs", "list", "--json");
        Assert.Contains(JsonDocument.Parse(list.Out).RootElement.EnumerateArray(), j => j.GetProperty("jobid").GetString() == jobId);
        var get = await RunAsync("jobs", "get", jobId, "--json");
        Assert.Equal(0, get.ExitCode);
        Assert.Equal("faceswap-headshot", JsonDocument.Parse(get.Out).RootElement.GetProperty("verb").GetString());

        var cancel = await RunAsync("jobs", "cancel", jobId);
        Assert.Equal(0, cancel.ExitCode);
        Assert.Contains("cancelled", cancel.Console);
        var again = await RunAsync("jobs", "cancel", jobId);
        Assert.Equal(ExitCodes.ApiError, again.ExitCode);
        Assert.Contains($"Error 409: Job {jobId} is cancelled and can not be cancelled", again.Console.ReplaceLineEndings(""));
        var watchCancelled = await RunAsync("jobs", "watch", jobId);
        Assert.Equal(ExitCodes.JobNotCompleted, watchCancelled.ExitCode);

        var next = await RunAsync("headshot", "me, an astronaut", "--no-wait", "--json");
        var nextId = JsonDocument.Parse(next.Out).RootElement.GetProperty("jobid").GetString()!;
        var output = Path.Combine(_folder, "watched") + Path.DirectorySeparatorChar;
        var watch = await RunAsync("jobs", "watch", nextId, "-o", output);
        Assert.True(watch.ExitCode == 0, watch.Console);
        Assert.Contains("completed", watch.Console);
        var file = Assert.Single(Directory.GetFiles(output));
        using var decoded = Cv2.ImDecode(await File.ReadAllBytesAsync(file), ImreadModes.Color);
        Assert.False(decoded.Empty());
    }

    [Fact]
    public async Task Jobs_list_shows_finished_jobs_of_every_status_and_filters_by_status()
    {
        await ConfigureAsync();
        var saved = await RunAsync("saveid", "me", WriteFace("face.png"), "--json");
        var savedId = JsonDocument.Parse(saved.Out).RootElement.GetProperty("jobid").GetString()!;
        var failed = await RunAsync("swapid", "nobody", WriteFace("photo.png", 128, seed: 2), "--json");
        Assert.Equal(ExitCodes.JobNotCompleted, failed.ExitCode);
        var failedId = JsonDocument.Parse(failed.Out).RootElement.GetProperty("jobid").GetString()!;

        static List<(string Id, string Status)> Jobs(Run run) => JsonDocument.Parse(run.Out).RootElement.EnumerateArray()
            .Select(j => (j.GetProperty("jobid").GetString()!, j.GetProperty("status").GetString()!)).ToList();
        // Newest first, finished ones included.
        Assert.Equal([(failedId, "failed"), (savedId, "completed")], Jobs(await RunAsync("jobs", "list", "--json")));
        Assert.Equal([(failedId, "failed")], Jobs(await RunAsync("jobs", "list", "--json", "--limit", "1")));
        Assert.Equal([(savedId, "completed")], Jobs(await RunAsync("jobs", "list", "--status", "completed", "--json")));
        Assert.Equal([(failedId, "failed")], Jobs(await RunAsync("jobs", "list", "--status", "failed", "--json")));
        Assert.Empty(Jobs(await RunAsync("jobs", "list", "--status", "cancelled", "--json")));

        var table = await RunAsync("jobs", "list");
        Assert.Equal(0, table.ExitCode);
        Assert.Contains(savedId, table.Console);
        Assert.Contains(failedId, table.Console);
        Assert.Contains("faceswap-saveid", table.Console);

        var bad = await RunAsync("jobs", "list", "--status", "finished");
        Assert.Equal(ExitCodes.Usage, bad.ExitCode);
        Assert.Contains("Unknown status finished", bad.Console);
        Assert.EndsWith("\n", bad.Console);
    }

    [Fact]
    public async Task Jobs_watch_without_a_jobid_prints_each_change_of_a_job_submitted_meanwhile_until_cancelled()
    {
        await ConfigureAsync();
        using var client = _server.Client();
        await client.SaveIdAsync("me", TestServer.Face());
        var shown = new SharedWriter();
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Out = new Spectre.Console.AnsiConsoleOutput(shown),
            Ansi = Spectre.Console.AnsiSupport.No,
            ColorSystem = Spectre.Console.ColorSystemSupport.NoColors,
            Interactive = Spectre.Console.InteractionSupport.No,
        });
        console.Profile.Width = 400;
        var terminal = new Terminal(console, console, shown, _ => null, ConfigPath);
        using var stop = new CancellationTokenSource();
        var watch = FaceSwapCli.RunAsync(["jobs", "watch"], terminal, stop.Token);

        await shown.WaitForAsync(text => text.Contains("Following all your jobs"), TimeSpan.FromSeconds(60));
        var job = await client.HeadshotAsync("me, an astronaut", options: new CommandOptions { RespondAsync = true });
        await shown.WaitForAsync(text => text.Split('\n').Any(line => line.Contains(job.JobId) && line.Contains("completed")), TimeSpan.FromSeconds(90));
        stop.Cancel();

        Assert.Equal(ExitCodes.Ok, await watch.WaitAsync(TimeSpan.FromSeconds(30)));
        var lines = shown.Text.Split('\n').Where(line => line.Contains(job.JobId)).ToList();
        Assert.Contains(lines, line => line.Contains("faceswap-headshot started") && line.Contains("Job Submitted"));
        Assert.Single(lines, line => line.Contains("completed"));
    }

    [Fact]
    public async Task Accounts_are_listed_added_and_removed()
    {
        await ConfigureAsync();
        Assert.Equal(0, (await RunAsync("accounts", "add", "studio", "--local")).ExitCode);
        var list = await RunAsync("accounts", "list", "--json");
        var accounts = JsonDocument.Parse(list.Out).RootElement;
        Assert.Equal("local", accounts.GetProperty("studio").GetProperty("engine").GetString());
        Assert.True(accounts.TryGetProperty(TestServer.SandboxChannel, out _));
        var table = await RunAsync("accounts", "list");
        Assert.Contains("studio", table.Console);
        Assert.Equal(0, (await RunAsync("accounts", "remove", "studio")).ExitCode);
        var gone = await RunAsync("accounts", "remove", "studio");
        Assert.Equal(ExitCodes.ApiError, gone.ExitCode);
        Assert.Contains("Error 404: Configuration not found. To create configuration use faceswap/account/channel.", gone.Console);
        var refused = await RunAsync("accounts", "add", "1200000000000000001", "--server", "1200000000000000000");
        Assert.Equal(ExitCodes.ApiError, refused.ExitCode);
        Assert.Contains("Required param discord is missing or empty", refused.Console);
    }

    [Fact]
    public async Task Webhook_settings_deliveries_and_redelivery()
    {
        await ConfigureAsync();
        await using var receiver = await Peer.StartAsync((_, response) =>
        {
            response.StatusCode = 200;
            return Task.CompletedTask;
        });
        Assert.Equal(0, (await RunAsync("webhook", "set", receiver.Url("/hook"), "--events", "started")).ExitCode);
        using var client = _server.Client();
        var secret = (await client.GetWebhookSettingsAsync()).Secret!;
        var show = await RunAsync("webhook", "show");
        Assert.Contains(receiver.Url("/hook"), show.Console);
        Assert.Contains("final, started", show.Console);
        Assert.DoesNotContain(secret, show.Console);
        var revealed = await RunAsync("webhook", "show", "--show-secret", "--json");
        Assert.Equal(secret, JsonDocument.Parse(revealed.Out).RootElement.GetProperty("secret").GetString());

        var listed = await RunAsync("listid", "--json");
        var jobId = JsonDocument.Parse(listed.Out).RootElement.GetProperty("jobid").GetString()!;
        await receiver.WaitForRequestsAsync(1);
        Assert.Equal(0, (await RunAsync("jobs", "redeliver", jobId)).ExitCode);
        await receiver.WaitForRequestsAsync(2);
        var deliveries = await RunAsync("jobs", "deliveries", jobId, "--json");
        Assert.Equal(0, deliveries.ExitCode);
        Assert.Equal(2, JsonDocument.Parse(deliveries.Out).RootElement.GetArrayLength());

        Assert.Equal(ExitCodes.Usage, (await RunAsync("webhook", "set")).ExitCode);
        Assert.Equal(0, (await RunAsync("webhook", "set", "--clear")).ExitCode);
        Assert.Contains("replyUrl: (none)", (await RunAsync("webhook", "show")).Console);
    }

    [Fact]
    public async Task Errors_print_the_APIs_text_and_exit_with_their_codes()
    {
        var unconfigured = await RunAsync("listid");
        Assert.Equal(ExitCodes.Usage, unconfigured.ExitCode);
        Assert.Contains("faceswap config set", unconfigured.Console);

        await ConfigureAsync();
        var missing = await RunAsync("jobs", "get", "0123456789abcdef0123456789abcdef");
        Assert.Equal(ExitCodes.ApiError, missing.ExitCode);
        Assert.Contains("Error 404: Unable to locate job 0123456789abcdef0123456789abcdef", missing.Console);

        var missingJson = await RunAsync("jobs", "get", "0123456789abcdef0123456789abcdef", "--json");
        Assert.Equal(ExitCodes.ApiError, missingJson.ExitCode);
        Assert.Equal("", missingJson.Out);

        var badToken = await RunAsync(new Dictionary<string, string> { ["FACESWAP_TOKEN"] = "wrong-token-000" }, "jobs", "list");
        Assert.Equal(ExitCodes.ApiError, badToken.ExitCode);
        Assert.Contains("Error 401: Unauthorized", badToken.Console);

        var noFile = await RunAsync("saveid", "me", Path.Combine(_folder, "nothing.png"));
        Assert.Equal(ExitCodes.Usage, noFile.ExitCode);
        Assert.Contains("No such file", noFile.Console);

        var usage = await RunAsync("swapid", "me");
        Assert.Equal(ExitCodes.Usage, usage.ExitCode);

        // A job that fails exits 1 with its error: a saved face that does not exist.
        var failed = await RunAsync("swapid", "nobody", WriteFace("photo.png", 128, seed: 2));
        Assert.Equal(ExitCodes.JobNotCompleted, failed.ExitCode);
        Assert.Contains("failed", failed.Console);
    }
}
