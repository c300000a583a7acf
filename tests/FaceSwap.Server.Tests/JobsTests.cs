using System.Net;
using FaceSwap.Core.Engines;
using FaceSwap.Core.Jobs;
using FaceSwap.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FaceSwap.Server.Tests;

/// <summary>GET /jobs/?jobid= (the seed page), /jobs, /jobs/cancel, isolation and retention.</summary>
public sealed class JobsTests : IAsyncLifetime
{
    private const string Channel = "1100000000000000001";
    private readonly GatedEngine _engine = new() { AutoComplete = true };
    private RunningServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(services: services => services.AddSingleton<IEngine>(_engine));
        await _server.AddAccountAsync(await _server.BootstrapUserIdAsync(), Channel, GatedEngine.DefaultName);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_seed_errors_come_out_byte_for_byte()
    {
        Assert.Equal("""{"error":"Query param jobid not provided","code":400}""", await (await _server.Client.GetAsync("jobs/")).BodyAsync());
        Assert.Equal("""{"error":"Query param jobid not provided","code":400}""", await (await _server.Client.GetAsync("jobs/?jobid=")).BodyAsync());
        var missing = await _server.Client.GetAsync("jobs/?jobid=0123456789abcdef0123456789abcdef");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("""{"error":"Unable to locate job 0123456789abcdef0123456789abcdef","code":404}""", await missing.BodyAsync());
        Assert.Equal("""{"error":"Query param jobid not provided","code":400}""", await (await _server.Client.GetAsync("jobs/cancel/")).BodyAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Client.GetAsync("jobs/cancel/?jobid=nope")).StatusCode);
        Assert.Equal("application/json; charset=utf-8", missing.Content.Headers.ContentType!.ToString());
    }

    [Fact]
    public async Task Jobs_without_the_slash_lists_the_executing_jobs()
    {
        Assert.Equal("[]", await _server.Client.GetStringAsync("jobs"));
        _engine.AutoComplete = false;
        var posted = await _server.Client.PostAsync("headshot", Forms.Multipart(("prompt", "x")));
        Assert.True(posted.IsSuccessStatusCode, await posted.BodyAsync());
        var job = await posted.JsonAsync();
        Assert.Equal($"[\"{job["jobid"]}\"]", await _server.Client.GetStringAsync("jobs"));
        _engine.Open((string)job["jobid"]!);
        await CommandsTests.PollUntilTerminalAsync(_server.Client, (string)job["jobid"]!);
        Assert.Equal("[]", await _server.Client.GetStringAsync("jobs"));
    }

    [Fact]
    public async Task Another_users_job_is_404_for_reading_and_cancelling()
    {
        _engine.AutoComplete = false;
        var job = await (await _server.Client.PostAsync("headshot", Forms.Multipart(("prompt", "x")))).JsonAsync();
        var jobId = (string)job["jobid"]!;
        var (_, token) = await _server.AddUserAsync("mallory");
        using var other = _server.CreateClient(token);
        var read = await other.GetAsync($"jobs/?jobid={jobId}");
        Assert.Equal($$"""{"error":"Unable to locate job {{jobId}}","code":404}""", await read.BodyAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"jobs/cancel/?jobid={jobId}")).StatusCode);
        Assert.Equal("[]", await other.GetStringAsync("jobs"));
        var mine = await (await _server.Client.GetAsync($"jobs/?jobid={jobId}")).JsonAsync();
        Assert.NotEqual("cancelled", (string?)mine["status"]);
        _engine.Open(jobId);
    }

    [Fact]
    public async Task Past_retention_a_job_answers_410_and_its_files_are_gone()
    {
        // Its own server on fake time: retention passes when the test says, not after a sleep.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["FaceSwap:Jobs:Retention"] = "01:00:00" },
            services => services.AddSingleton<IEngine>(_engine).AddSingleton<TimeProvider>(clock));
        await server.AddAccountAsync(await server.BootstrapUserIdAsync(), Channel, GatedEngine.DefaultName);
        var job = await (await server.Client.PostAsync("saveid", Forms.Multipart(("idname", "me"), ("image", Forms.Png)))).JsonAsync();
        var jobId = (string)job["jobid"]!;
        var url = (string)job["attachments"]![0]!["url"]!;
        using var anonymous = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(url)).StatusCode);
        Assert.Equal(2, await server.BlobCountAsync());

        // Within retention the sweeper leaves it alone, to its last second.
        clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(0, await server.Service<RetentionSweeper>().SweepAsync(CancellationToken.None));
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync($"jobs/?jobid={jobId}")).StatusCode);
        clock.Advance(TimeSpan.FromMinutes(1.1));
        Assert.Equal(1, await server.Service<RetentionSweeper>().SweepAsync(CancellationToken.None));

        var gone = await server.Client.GetAsync($"jobs/?jobid={jobId}");
        Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
        Assert.Equal("""{"error":"Job has expired","code":410}""", await gone.BodyAsync());
        Assert.Equal(HttpStatusCode.Gone, (await server.Client.GetAsync($"jobs/cancel/?jobid={jobId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(url)).StatusCode);
        Assert.Equal(0, await server.BlobCountAsync());
    }

    [Fact]
    public async Task A_guessed_file_id_finds_nothing()
    {
        using var anonymous = new HttpClient();
        var response = await anonymous.GetAsync(new Uri(_server.BaseUrl, "/v1/faceswap/files/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/result.png"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
