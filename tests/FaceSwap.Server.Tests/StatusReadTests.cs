using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using FaceSwap.Core.Engines;
using FaceSwap.Core.Storage;
using FaceSwap.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FaceSwap.Server.Tests;

/// <summary>
/// The fast status read: finished jobs from a cache of their bytes, entity tags, and a token cache that never
/// outlives a revoke or a subscription's end, nor a job its retention.
/// </summary>
public sealed class StatusReadTests : IAsyncLifetime
{
    private const string Channel = "1100000000000000001";
    private readonly GatedEngine _engine = new() { AutoComplete = true };
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private RunningServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(
            new Dictionary<string, string?> { ["FaceSwap:Jobs:Retention"] = "1.00:00:00" },
            services =>
            {
                services.AddSingleton<IEngine>(_engine);
                services.AddSingleton<TimeProvider>(_clock);
            });
        await _server.AddAccountAsync(await _server.BootstrapUserIdAsync(), Channel, GatedEngine.DefaultName);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<(string JobId, string Body)> FinishedJobAsync()
    {
        var posted = await _server.Client.PostAsync("saveid", Forms.Multipart(("idname", "me"), ("image", Forms.Png)));
        var body = await posted.BodyAsync();
        Assert.True(posted.IsSuccessStatusCode, body);
        Assert.Contains("\"status\":\"completed\"", body);
        return ((string)(await posted.JsonAsync())["jobid"]!, body);
    }

    [Fact]
    public async Task A_finished_job_reads_byte_for_byte_as_the_command_answered_it_before_and_after_it_is_cached()
    {
        var (jobId, answered) = await FinishedJobAsync();
        var first = await _server.Client.GetAsync($"jobs/?jobid={jobId}");
        var second = await _server.Client.GetAsync($"jobs/?jobid={jobId}");
        Assert.Equal(answered, await first.BodyAsync());
        Assert.Equal(answered, await second.BodyAsync());
        Assert.Equal("application/json; charset=utf-8", second.Content.Headers.ContentType!.ToString());
        Assert.Equal(first.Headers.ETag, second.Headers.ETag);
        Assert.False(second.Headers.ETag!.IsWeak);
    }

    [Fact]
    public async Task If_None_Match_with_the_current_tag_answers_304_and_a_change_answers_the_new_body()
    {
        _engine.AutoComplete = false;
        var job = await (await _server.Client.PostAsync("headshot", Forms.Multipart(("prompt", "x")))).JsonAsync();
        var jobId = (string)job["jobid"]!;
        // Once started, the gated job stands still until the test opens its gate.
        HttpResponseMessage running;
        var waited = Stopwatch.StartNew();
        do running = await _server.Client.GetAsync($"jobs/?jobid={jobId}");
        while (!(await running.BodyAsync()).Contains("\"status\":\"started\"") && waited.Elapsed < TimeSpan.FromSeconds(30));
        var runningTag = running.Headers.ETag!;

        var unchanged = await GetIfNoneMatchAsync(jobId, runningTag);
        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
        Assert.Equal(runningTag, unchanged.Headers.ETag);
        Assert.Empty(await unchanged.Content.ReadAsByteArrayAsync());

        _engine.Open(jobId);
        await CommandsTests.PollUntilTerminalAsync(_server.Client, jobId);
        var changed = await GetIfNoneMatchAsync(jobId, runningTag);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Contains("\"status\":\"completed\"", await changed.BodyAsync());
        Assert.NotEqual(runningTag, changed.Headers.ETag);

        // The finished job, now from the cache: its tag (weak comparison, in a list) is 304 too.
        var listed = new HttpRequestMessage(HttpMethod.Get, $"jobs/?jobid={jobId}");
        listed.Headers.TryAddWithoutValidation("If-None-Match", $"\"other\", W/{changed.Headers.ETag!.Tag}");
        Assert.Equal(HttpStatusCode.NotModified, (await _server.Client.SendAsync(listed)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetIfNoneMatchAsync(jobId, new EntityTagHeaderValue("\"other\""))).StatusCode);
    }

    private Task<HttpResponseMessage> GetIfNoneMatchAsync(string jobId, EntityTagHeaderValue tag)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"jobs/?jobid={jobId}");
        request.Headers.IfNoneMatch.Add(tag);
        return _server.Client.SendAsync(request);
    }

    [Fact]
    public async Task Waiters_woken_by_one_change_get_the_bytes_a_read_gets_on_the_stream_and_the_long_poll()
    {
        _engine.AutoComplete = false;
        var jobId = (string)(await (await _server.Client.PostAsync("headshot", Forms.Multipart(("prompt", "x")))).JsonAsync())["jobid"]!;
        using var stream = await _server.Client.GetAsync($"jobs/stream?jobid={jobId}", HttpCompletionOption.ResponseHeadersRead);
        using var events = new StreamReader(await stream.Content.ReadAsStreamAsync());
        var longPolls = Enumerable.Range(0, 3).Select(_ =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"jobs/?jobid={jobId}");
            request.Headers.Add("Prefer", "wait=60");
            return _server.Client.SendAsync(request);
        }).ToList();
        var first = await NextDataAsync(events);
        Assert.Contains(jobId, first);

        _engine.Open(jobId);
        string last;
        do last = await NextDataAsync(events);
        while (!last.Contains("\"status\":\"completed\""));
        var read = await (await _server.Client.GetAsync($"jobs/?jobid={jobId}")).BodyAsync();
        Assert.Equal(read, last);
        foreach (var longPoll in longPolls) Assert.Equal(read, await (await longPoll.WaitAsync(TimeSpan.FromSeconds(60))).BodyAsync());
    }

    private static async Task<string> NextDataAsync(StreamReader events)
    {
        while (await events.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal)) return line["data: ".Length..];
        }
        throw new EndOfStreamException("the stream ended");
    }

    [Fact]
    public async Task A_cached_finished_job_stays_invisible_to_another_user()
    {
        var (jobId, _) = await FinishedJobAsync();
        Assert.Equal(HttpStatusCode.OK, (await _server.Client.GetAsync($"jobs/?jobid={jobId}")).StatusCode);
        var (_, token) = await _server.AddUserAsync("mallory");
        using var other = _server.CreateClient(token);
        var read = await other.GetAsync($"jobs/?jobid={jobId}");
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        Assert.Equal($$"""{"error":"Unable to locate job {{jobId}}","code":404}""", await read.BodyAsync());
    }

    [Fact]
    public async Task Past_retention_a_job_answers_410_at_once_cached_or_not_before_any_sweep()
    {
        var (finished, _) = await FinishedJobAsync();
        Assert.Equal(HttpStatusCode.OK, (await _server.Client.GetAsync($"jobs/?jobid={finished}")).StatusCode);
        _engine.AutoComplete = false;
        var running = (string)(await (await _server.Client.PostAsync("headshot", Forms.Multipart(("prompt", "x")))).JsonAsync())["jobid"]!;
        Assert.Equal(HttpStatusCode.OK, (await _server.Client.GetAsync($"jobs/?jobid={running}")).StatusCode);

        _clock.Advance(TimeSpan.FromDays(1) - TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await _server.Client.GetAsync($"jobs/?jobid={finished}")).StatusCode);
        _clock.Advance(TimeSpan.FromSeconds(1));
        foreach (var jobId in new[] { finished, running })
        {
            var gone = await _server.Client.GetAsync($"jobs/?jobid={jobId}");
            Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
            Assert.Equal("""{"error":"Job has expired","code":410}""", await gone.BodyAsync());
            Assert.Equal(HttpStatusCode.Gone, (await _server.Client.GetAsync($"jobs/cancel/?jobid={jobId}")).StatusCode);
        }
        _engine.Open(running);
    }

    [Fact]
    public async Task A_revoke_answers_402_on_the_very_next_request_although_the_token_was_cached()
    {
        var (user, token) = await _server.AddUserAsync("erin");
        using var client = _server.CreateClient(token);
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("account")).StatusCode);
        await _server.Service<IUserStore>().RevokeTokensAsync(user.Id, CancellationToken.None);
        var refused = await client.GetAsync("account");
        Assert.Equal(HttpStatusCode.PaymentRequired, refused.StatusCode);
        Assert.Equal("""{"error":"Account has no subscription or subscription expired","code":402}""", await refused.BodyAsync());
        // Other users' cached tokens are only looked up again, never refused.
        Assert.Equal(HttpStatusCode.OK, (await _server.Client.GetAsync("jobs")).StatusCode);
    }

    [Fact]
    public async Task A_subscription_answers_402_the_moment_it_ends_with_no_write_in_between()
    {
        var (_, token) = await _server.AddUserAsync("frank", _clock.GetUtcNow().AddHours(1));
        using var client = _server.CreateClient(token);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("account")).StatusCode);
        _clock.Advance(TimeSpan.FromHours(1) - TimeSpan.FromMilliseconds(1));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("account")).StatusCode);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(HttpStatusCode.PaymentRequired, (await client.GetAsync("account")).StatusCode);
    }

    [Fact]
    public async Task A_revoke_or_expiry_by_the_users_CLI_in_another_process_answers_402_at_once()
    {
        var (_, token) = await _server.AddUserAsync("grace");
        using var client = _server.CreateClient(token);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("account")).StatusCode);

        await RunCliAsync("users", "expire", "grace", "2020-01-01");
        Assert.Equal(HttpStatusCode.PaymentRequired, (await client.GetAsync("account")).StatusCode);
        await RunCliAsync("users", "expire", "grace", "never");
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("account")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("account")).StatusCode);
        await RunCliAsync("users", "revoke", "grace");
        Assert.Equal(HttpStatusCode.PaymentRequired, (await client.GetAsync("account")).StatusCode);
    }

    /// <summary>The server's own executable in its own process, on the same database.</summary>
    private async Task RunCliAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "FaceSwap.Server.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.ArgumentList.Add($"--FaceSwap:DataDir={_server.DataDir}");
        foreach (var setting in _server.StorageArguments) start.ArgumentList.Add(setting);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(process.ExitCode == 0, $"users CLI exited {process.ExitCode}: {await output}{await error}");
        Assert.Matches(new Regex("Subscription of grace|Revoked 1 token"), await output);
    }
}
