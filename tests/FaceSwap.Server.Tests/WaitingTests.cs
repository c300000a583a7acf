using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using FaceSwap.Core.Dispatch;
using FaceSwap.Core.Engines;
using FaceSwap.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FaceSwap.Server.Tests;

/// <summary>Waiting without polling: <c>Prefer: wait=N</c> long-polls and the server-sent event stream.</summary>
public sealed class WaitingTests : IAsyncLifetime
{
    private const string Channel = "1100000000000000001";
    private readonly GatedEngine _engine = new();
    private RunningServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(
            new Dictionary<string, string?> { ["FaceSwap:Jobs:StreamKeepAlive"] = "00:00:00.300" },
            services => services.AddSingleton<IEngine>(_engine));
        await _server.AddAccountAsync(await _server.BootstrapUserIdAsync(), Channel, GatedEngine.DefaultName);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<string> StartAsyncJobAsync() =>
        (string)(await (await _server.Client.PostAsync("headshot", Forms.Multipart(("prompt", "x")))).JsonAsync())["jobid"]!;

    private HttpRequestMessage WaitRequest(string jobId, string prefer)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"jobs/?jobid={jobId}");
        request.Headers.TryAddWithoutValidation("Prefer", prefer);
        return request;
    }

    [Fact]
    public async Task Prefer_wait_returns_as_soon_as_the_job_is_terminal()
    {
        var jobId = await StartAsyncJobAsync();
        var waiting = _server.Client.SendAsync(WaitRequest(jobId, "wait=30"));
        // Held: the server has the request waiting on the job, and has not answered it.
        var waiters = _server.Service<JobWaiters>();
        for (var deadline = DateTime.UtcNow.AddSeconds(30); !waiters.IsWaiting(jobId) && !waiting.IsCompleted; await Task.Delay(10))
            Assert.True(DateTime.UtcNow < deadline, "the request never waited on the job");
        Assert.False(waiting.IsCompleted);
        var clock = Stopwatch.StartNew();
        _engine.Open(jobId);
        var response = await waiting;
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
        Assert.Equal("wait=30", response.Headers.GetValues("Preference-Applied").Single());
        Assert.Equal("completed", (string?)(await response.JsonAsync())["status"]);
    }

    [Fact]
    public async Task Prefer_wait_gives_up_after_n_seconds_with_the_job_as_it_stands()
    {
        var jobId = await StartAsyncJobAsync();
        var clock = Stopwatch.StartNew();
        var response = await _server.Client.SendAsync(WaitRequest(jobId, "respond-async, wait=1"));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.9));
        Assert.Contains((string?)(await response.JsonAsync())["status"], new[] { "created", "started" });
        // N is capped at 60.
        var capped = _server.Client.SendAsync(WaitRequest(jobId, "wait=600"));
        _engine.Open(jobId);
        Assert.Equal("wait=60", (await capped).Headers.GetValues("Preference-Applied").Single());
    }

    [Fact]
    public async Task Many_waiters_wake_on_one_change()
    {
        var jobId = await StartAsyncJobAsync();
        var waiters = Enumerable.Range(0, 200).Select(_ => _server.Client.SendAsync(WaitRequest(jobId, "wait=30"))).ToList();
        await Task.Delay(500);
        _engine.Open(jobId);
        var answers = await Task.WhenAll(waiters);
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        foreach (var answer in answers) Assert.Equal("completed", (string?)(await answer.JsonAsync())["status"]);
    }

    [Fact]
    public async Task The_stream_sends_snapshots_and_keep_alives_until_terminal()
    {
        var jobId = await StartAsyncJobAsync();
        using var response = await _server.Client.GetAsync($"jobs/stream?jobid={jobId}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var lines = new List<string>();
        var opened = false;
        while (await reader.ReadLineAsync() is { } line)
        {
            lines.Add(line);
            if (!opened && lines.Count(l => l == ": keep-alive") >= 1)
            {
                opened = true;
                _engine.Open(jobId);
            }
        }
        var statuses = lines.Where(l => l.StartsWith("data: ")).Select(l => (string?)JsonNode.Parse(l[6..])!["status"]).ToList();
        Assert.Contains(statuses.First(), new[] { "created", "started" });
        Assert.True(statuses.Count >= 2, "the stream sent the job as it was and then its change");
        Assert.Equal("completed", statuses.Last());
        Assert.Contains("event: job", lines);
    }

    [Fact]
    public async Task The_stream_of_an_unknown_job_is_404()
    {
        var response = await _server.Client.GetAsync("jobs/stream?jobid=feedfeedfeedfeedfeedfeedfeedfeed");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _server.Client.GetAsync("jobs/stream")).StatusCode);
    }
}
