using System.Net;
using System.Text.Json.Nodes;
using FaceSwap.Server.Tests.Infrastructure;

namespace FaceSwap.Server.Tests;

/// <summary>
/// <c>Prefer: respond-async</c> (RFC 7240) on a command: the answer comes as soon as the job is stored (202, the
/// job as created), and the job then runs as any other; without it, commands answer as the vendor's do.
/// </summary>
public sealed class RespondAsyncTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    // The bot answers after 2 s, so a job answered "at once" is surely still running when the test looks.
    public async Task InitializeAsync() => _server = await SandboxedServer.StartAsync(("FaceSwap:Sandbox:BotReplyDelay", "00:00:02"));
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<HttpResponseMessage> SubmitAsync(string path, string? prefer, params (string, object)[] parts)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Forms.Multipart(parts) };
        if (prefer is not null) request.Headers.TryAddWithoutValidation("Prefer", prefer);
        return await _server.Client.SendAsync(request);
    }

    private async Task<JsonObject> WhenDoneAsync(string jobId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"jobs/?jobid={jobId}");
            request.Headers.Add("Prefer", "wait=20");
            var job = await (await _server.Client.SendAsync(request)).JsonAsync();
            if ((string?)job["status"] is "completed" or "failed" or "moderated" or "cancelled" || DateTime.UtcNow > deadline) return job;
        }
    }

    [Fact]
    public async Task An_async_command_preferring_respond_async_answers_202_with_the_stored_job_which_then_runs()
    {
        using var saved = await SubmitAsync("saveid", null, ("idname", "me"), ("image", SandboxedServer.FacePhoto(seed: 1)));
        Assert.Equal("completed", (string?)(await saved.JsonAsync())["status"]); // headshot draws the default face

        using var response = await SubmitAsync("headshot", "respond-async", ("prompt", "me, an astronaut"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("respond-async", response.Headers.GetValues("Preference-Applied").Single());
        var job = await response.JsonAsync();
        Assert.Equal("created", (string?)job["status"]);
        Assert.Null(job["content"]); // answered before the bot's first reply
        var done = await WhenDoneAsync((string)job["jobid"]!);
        Assert.True((string?)done["status"] == "completed", done.ToJsonString());
        Assert.Contains("Job Completed", (string?)done["content"]);
    }

    [Fact]
    public async Task A_blocking_command_preferring_respond_async_answers_before_it_runs_and_keeps_the_channel_busy_rule()
    {
        using var first = await SubmitAsync("listid", "wait=5, respond-async; note=1");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var job = await first.JsonAsync();
        Assert.Equal("created", (string?)job["status"]);
        // The first listid has not been answered by the bot yet: the channel is still busy with it.
        using var second = await SubmitAsync("listid", "respond-async");
        Assert.Equal((HttpStatusCode)429, second.StatusCode);
        Assert.Contains((string)job["jobid"]!, (await second.BodyAsync()));
        var done = await WhenDoneAsync((string)job["jobid"]!);
        Assert.True((string?)done["status"] == "completed", done.ToJsonString());
    }

    [Fact]
    public async Task Without_the_preference_a_blocking_command_answers_200_with_the_finished_job()
    {
        using var response = await SubmitAsync("listid", "wait=5");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Preference-Applied"));
        Assert.Equal("completed", (string?)(await response.JsonAsync())["status"]);
    }
}
