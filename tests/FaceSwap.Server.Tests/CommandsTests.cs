using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FaceSwap.Core.Engines;
using FaceSwap.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FaceSwap.Server.Tests;

public sealed class CommandsTests : IAsyncLifetime
{
    private const string Channel = "1100000000000000001";
    private readonly GatedEngine _engine = new();
    private RunningServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(
            new Dictionary<string, string?> { ["FaceSwap:Uploads:MaxFileBytes"] = "4096", ["FaceSwap:Jobs:BlockingWait"] = "00:00:20" },
            services => services.AddSingleton<IEngine>(_engine));
        await _server.AddAccountAsync(await _server.BootstrapUserIdAsync(), Channel, GatedEngine.DefaultName, "1200000000000000001", "discord-token-abc");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();


    public static TheoryData<string, string, string, string> MissingFields => new()
    {
        { "POST", "saveid", "image", "Required param idname is missing or empty" },
        { "POST", "saveid", "idname", "Required param image is missing or empty" },
        { "POST", "swapid", "idname", "Required param image is missing or empty" },
        { "POST", "setid", "", "Required param idname is missing or empty" },
        { "DELETE", "delid", "", "Required param idname is missing or empty" },
        { "POST", "swap", "swapid_image", "Required param saveid_image is missing or empty" },
        { "POST", "swap", "saveid_image", "Required param swapid_image is missing or empty" },
        { "POST", "inswapper", "", "Required param targetMessageId is missing or empty" },
        { "POST", "picsi", "target_image_gif_or_video", "Required param source_image is missing or empty" },
        { "POST", "changebg", "image", "Required param a_background_photo_of is missing or empty" },
        { "POST", "changebg", "a_background_photo_of", "Required param image is missing or empty" },
        { "POST", "headshot", "", "Required param prompt is missing or empty" },
    };

    [Theory]
    [MemberData(nameof(MissingFields))]
    public async Task A_missing_field_is_400_and_nothing_is_stored(string method, string path, string present, string error)
    {
        var parts = new List<(string, object)>();
        if (present is "image" or "saveid_image" or "swapid_image" or "target_image_gif_or_video") parts.Add((present, Forms.Png));
        else if (present.Length > 0) parts.Add((present, "me"));
        var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = Forms.Multipart(parts.ToArray()) };
        var response = await _server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal($$"""{"error":"{{error}}","code":400}""", await response.BodyAsync());
        Assert.Equal("[]", await _server.Client.GetStringAsync("jobs"));
        Assert.Equal(0, await _server.BlobCountAsync());
    }

    [Fact]
    public async Task A_file_that_is_not_an_image_is_415_whatever_it_claims()
    {
        var response = await _server.Client.PostAsync("saveid", Forms.Multipart(("idname", "me"), ("image", "this is text, not a PNG"u8.ToArray())));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal(415, (int?)body["code"]);
        Assert.Contains("not a supported image", (string?)body["error"]);
        // A GIF is an image, but not where a still image is asked for.
        var gif = await _server.Client.PostAsync("saveid", Forms.Multipart(("idname", "me"), ("image", Forms.Gif)));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, gif.StatusCode);
        Assert.Equal(0, await _server.BlobCountAsync());
        Assert.Empty(_engine.Runs);
    }

    [Fact]
    public async Task A_file_over_the_limit_is_413()
    {
        var big = Forms.Png.Concat(new byte[5000]).ToArray();
        var response = await _server.Client.PostAsync("saveid", Forms.Multipart(("idname", "me"), ("image", big)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(413, (int?)(await response.JsonAsync())["code"]);
        Assert.Equal(0, await _server.BlobCountAsync());
    }

    [Theory]
    [InlineData("saveid", "bad name")]
    [InlineData("saveid", "elevenchars")]
    [InlineData("swapid", "a, b")]
    [InlineData("swapid", "a --oldify 5000")]
    public async Task An_invalid_idname_is_400(string path, string idname)
    {
        var response = await _server.Client.PostAsync(path, Forms.Multipart(("idname", idname), ("image", Forms.Png)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal($"Required param idname ({idname}) is not valid", (string?)body["error"]);
        Assert.False(string.IsNullOrEmpty((string?)body["errorDetails"]));
    }

    [Theory]
    [InlineData("swapid", "a,_,b+c --oldify 300")]
    [InlineData("setid", "--nogreedy")]
    [InlineData("setid", "me,_")]
    public async Task Valid_idname_forms_are_accepted(string path, string idname)
    {
        _engine.AutoComplete = true;
        var response = await _server.Client.PostAsync(path, Forms.Multipart(("idname", idname), ("image", Forms.Png)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(idname, (string?)(await response.JsonAsync())["idname"]);
    }

    [Fact]
    public async Task A_blocking_command_answers_with_the_finished_job_and_rehosted_result()
    {
        _engine.AutoComplete = true;
        var response = await _server.Client.PostAsync("saveid", Forms.Multipart(("idname", "me"), ("image", Forms.Png), ("replyRef", "ref-1")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var job = await response.JsonAsync();
        Assert.Equal("faceswap-saveid", (string?)job["verb"]);
        Assert.Equal("completed", (string?)job["status"]);
        Assert.Equal("me", (string?)job["idname"]);
        Assert.Equal(Forms.Png.Length, (int?)job["image"]!["size"]);
        Assert.Equal("image/png", (string?)job["image"]!["type"]);
        Assert.Equal("dis…secured…abc", (string?)job["discord"]);
        Assert.Equal(Channel, (string?)job["channel"]);
        Assert.Equal("ref-1", (string?)job["replyRef"]);
        Assert.Equal(200, (int?)job["code"]);
        Assert.Matches(new Regex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"), (string?)job["created"]);
        Assert.Matches(new Regex("^[0-9a-f]{32}$"), (string?)job["jobid"]);
        var attachment = job["attachments"]![0]!;
        var url = (string)attachment["url"]!;
        Assert.StartsWith(_server.BaseUrl.ToString().TrimEnd('/'), url);
        using var anonymous = new HttpClient();
        Assert.Equal(Forms.Png, await anonymous.GetByteArrayAsync(url));
        Assert.Equal(Forms.Png, await anonymous.GetByteArrayAsync((string)attachment["proxy_url"]!));
        Assert.True(_engine.ClientWaitingSeen[(string)job["jobid"]!]);

        var read = await (await _server.Client.GetAsync($"jobs/?jobid={job["jobid"]}")).JsonAsync();
        Assert.Equal(job.ToJsonString(), read.ToJsonString());
    }

    [Fact]
    public async Task A_second_blocking_command_on_a_busy_channel_is_429_with_the_executing_job()
    {
        var first = _server.Client.PostAsync("listid", Forms.Multipart());
        var firstId = await WaitForSingleExecutingJobAsync();
        var second = await _server.Client.PostAsync("listid", Forms.Multipart());
        Assert.Equal((HttpStatusCode)429, second.StatusCode);
        var busy = await second.JsonAsync();
        Assert.Equal(429, (int?)busy["code"]);
        Assert.Contains("busy", (string?)busy["error"]);
        Assert.Equal(firstId, (string?)busy["executingJobs"]![0]);

        _engine.Open(firstId);
        var done = await (await first).JsonAsync();
        Assert.Equal("completed", (string?)done["status"]);
        // The channel is free again.
        _engine.AutoComplete = true;
        Assert.Equal(HttpStatusCode.OK, (await _server.Client.PostAsync("listid", Forms.Multipart())).StatusCode);
    }

    [Fact]
    public async Task Racing_blocking_commands_let_exactly_one_in()
    {
        var requests = Enumerable.Range(0, 6).Select(_ => _server.Client.PostAsync("listid", Forms.Multipart())).ToList();
        var jobId = await WaitForSingleExecutingJobAsync();
        for (var i = 0; i < 600 && requests.Count(r => r.IsCompleted) < 5; i++) await Task.Delay(50);
        var refused = requests.Where(r => r.IsCompleted).ToList();
        Assert.Equal(5, refused.Count);
        Assert.All(refused, r => Assert.Equal((HttpStatusCode)429, r.Result.StatusCode));
        _engine.Open(jobId);
        await Task.WhenAll(requests);
    }

    [Fact]
    public async Task A_blocking_command_past_its_bound_answers_the_job_as_it_stands()
    {
        // The bound runs on the server's clock: a fake one here, moved on by the test, so no real time passes.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RunningServer.StartAsync(
            new Dictionary<string, string?> { ["FaceSwap:Jobs:BlockingWait"] = "00:00:20" },
            services => services.AddSingleton<IEngine>(_engine).AddSingleton<TimeProvider>(clock));
        await server.AddAccountAsync(await server.BootstrapUserIdAsync(), Channel, GatedEngine.DefaultName);
        var answer = server.Client.PostAsync("listid", Forms.Multipart());
        for (var i = 0; i < 600 && _engine.Runs.IsEmpty; i++) await Task.Delay(50);
        var jobId = _engine.Runs.Single();
        // The engine's "started" write is committed before the bound runs out (the run begins before it).
        for (var i = 0; i < 1200 && (string?)(await (await server.Client.GetAsync($"jobs/?jobid={jobId}")).JsonAsync())["status"] != "started"; i++) await Task.Delay(25);
        clock.Advance(TimeSpan.FromSeconds(19));
        Assert.False(answer.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        var job = await (await answer.WaitAsync(TimeSpan.FromSeconds(20))).JsonAsync();
        Assert.Equal(jobId, (string?)job["jobid"]);
        Assert.Equal("started", (string?)job["status"]);
        Assert.Equal("started faceswap-listid", (string?)job["content"]);
        _engine.Open(jobId);
        var later = await PollUntilTerminalAsync(server.Client, jobId);
        Assert.Equal("completed", (string?)later["status"]);
    }

    [Fact]
    public async Task An_async_command_answers_at_once_and_can_be_cancelled_once()
    {
        var job = await (await _server.Client.PostAsync("headshot", Forms.Multipart(("prompt", "me, a king")))).JsonAsync();
        var jobId = (string)job["jobid"]!;
        Assert.Contains((string?)job["status"], new[] { "created", "started" });
        Assert.Equal("me, a king", (string?)job["prompt"]);
        Assert.Contains(jobId, await _server.Client.GetStringAsync("jobs"));

        var cancel = await _server.Client.GetAsync($"jobs/cancel/?jobid={jobId}");
        Assert.Equal($$"""{"jobid":"{{jobId}}","status":"cancelled","code":200}""", await cancel.BodyAsync());
        // Let the gated run try to finish: once it has ended, the job's last word is in.
        _engine.Open(jobId);
        await _engine.Ended(jobId).WaitAsync(TimeSpan.FromSeconds(30));
        var read = await (await _server.Client.GetAsync($"jobs/?jobid={jobId}")).JsonAsync();
        Assert.Equal("cancelled", (string?)read["status"]);
        Assert.Null(read["attachments"]);

        var again = await _server.Client.GetAsync($"jobs/cancel/?jobid={jobId}");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("cancelled", (string?)(await again.JsonAsync())["errorDetails"]);
        Assert.DoesNotContain(jobId, await _server.Client.GetStringAsync("jobs"));
    }

    [Fact]
    public async Task Headshot_also_takes_json()
    {
        var response = await _server.Client.PostAsync("headshot",
            new StringContent("""{"prompt":"me, an astronaut","options":"--square"}""", System.Text.Encoding.UTF8, "application/json"));
        var job = await response.JsonAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("me, an astronaut", (string?)job["prompt"]);
        Assert.Equal("--square", (string?)job["options"]);
    }

    [Fact]
    public async Task A_gif_target_makes_picsi_async()
    {
        var job = await (await _server.Client.PostAsync("picsi", Forms.Multipart(("source_image", Forms.Png), ("target_image_gif_or_video", Forms.Gif)))).JsonAsync();
        Assert.Contains((string?)job["status"], new[] { "created", "started" });
        Assert.Equal("image/gif", (string?)job["target_image_gif_or_video"]!["type"]);
    }

    [Fact]
    public async Task Channel_rule_a_needs_a_channel_when_there_are_several()
    {
        const string second = "1100000000000000002";
        await _server.AddAccountAsync(await _server.BootstrapUserIdAsync(), second, GatedEngine.DefaultName, "1200000000000000002", "other-token");
        var response = await _server.Client.PostAsync("listid", Forms.Multipart());
        Assert.Equal("""{"error":"Required param channel is missing or empty","code":400}""", (await response.BodyAsync()).Replace(",\"errorDetails\":\"You have 2 channels configured; name one of them.\"", ""));
        _engine.AutoComplete = true;
        var named = await (await _server.Client.PostAsync("listid", Forms.Multipart(("channel", second)))).JsonAsync();
        Assert.Equal(second, (string?)named["channel"]);
        var unknown = await _server.Client.PostAsync("listid", Forms.Multipart(("channel", "1100000000000000099")));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        // Rule (b) picks one of them by itself.
        var picked = await (await _server.Client.PostAsync("swap", Forms.Multipart(("saveid_image", Forms.Png), ("swapid_image", Forms.Png)))).JsonAsync();
        Assert.Contains((string?)picked["channel"], new[] { Channel, second });
    }

    [Fact]
    public async Task Channel_rule_b_sends_a_blocking_command_to_a_channel_without_a_blocking_job()
    {
        const string second = "1100000000000000002";
        await _server.AddAccountAsync(await _server.BootstrapUserIdAsync(), second, GatedEngine.DefaultName, "1200000000000000002", "other-token");
        // A random pick would find the idle channel half the time: six rounds leave that 1 chance in 64.
        for (var round = 0; round < 6; round++)
        {
            var (busy, idle) = round % 2 == 0 ? (Channel, second) : (second, Channel);
            var holding = _server.Client.PostAsync("listid", Forms.Multipart(("channel", busy)));
            var holdingId = (await WaitForExecutingJobsAsync(1))[0];
            var swap = _server.Client.PostAsync("swap", Forms.Multipart(("saveid_image", Forms.Png), ("swapid_image", Forms.Png)));
            var swapId = (await WaitForExecutingJobsAsync(2)).Single(id => id != holdingId);
            var picked = await (await _server.Client.GetAsync($"jobs/?jobid={swapId}")).JsonAsync();
            Assert.Equal(idle, (string?)picked["channel"]);
            _engine.Open(holdingId);
            _engine.Open(swapId);
            Assert.Equal(HttpStatusCode.OK, (await holding).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await swap).StatusCode);
            await WaitForExecutingJobsAsync(0);
        }
    }

    [Fact]
    public async Task A_local_channel_refuses_generative_commands()
    {
        await _server.AddAccountAsync(await _server.BootstrapUserIdAsync(), "studio", "local");
        var response = await _server.Client.PostAsync("headshot", Forms.Multipart(("prompt", "x"), ("channel", "studio")));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("generative model", (string?)(await response.JsonAsync())["errorDetails"]);
    }

    private async Task<string> WaitForSingleExecutingJobAsync() => (await WaitForExecutingJobsAsync(1))[0];

    private async Task<List<string>> WaitForExecutingJobsAsync(int count)
    {
        for (var i = 0; i < 600; i++)
        {
            var ids = JsonNode.Parse(await _server.Client.GetStringAsync("jobs"))!.AsArray().Select(id => (string)id!).ToList();
            if (ids.Count == count) return ids;
            await Task.Delay(50);
        }
        throw new TimeoutException($"The executing jobs never numbered {count}");
    }

    public static async Task<JsonObject> PollUntilTerminalAsync(HttpClient client, string jobId)
    {
        for (var i = 0; i < 300; i++)
        {
            var job = (JsonNode.Parse(await client.GetStringAsync($"jobs/?jobid={jobId}")) as JsonObject)!;
            if ((string?)job["status"] is "completed" or "failed" or "moderated" or "cancelled") return job;
            await Task.Delay(100);
        }
        throw new TimeoutException($"Job {jobId} did not finish");
    }
}
