using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using FaceSwap.Core.Engines;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Webhooks;
using FaceSwap.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FaceSwap.Server.Tests;

/// <summary>replyUrl deliveries from the durable outbox, against a real receiver on loopback.</summary>
public sealed class WebhookTests : IAsyncLifetime
{
    private const string Channel = "1100000000000000001";
    private readonly GatedEngine _engine = new() { AutoComplete = true };
    private WebhookReceiver _receiver = null!;
    private RunningServer _server = null!;

    private static Dictionary<string, string?> Settings(string? dataDir = null) => new()
    {
        ["FaceSwap:Webhooks:AllowedNetworks:0"] = "127.0.0.0/8",
        ["FaceSwap:Webhooks:RetrySchedule:0"] = "00:00:00",
        ["FaceSwap:Webhooks:RetrySchedule:1"] = "00:00:00.300",
        ["FaceSwap:Webhooks:RetrySchedule:2"] = "00:00:00.300",
        ["FaceSwap:Webhooks:RetrySchedule:3"] = "00:00:00.300",
        // Generous, so that no answer of the receiver (in this busy process) counts as timed out but the one that hangs.
        ["FaceSwap:Webhooks:RequestTimeout"] = "00:00:05",
    };

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        _server = await RunningServer.StartAsync(Settings(), services => services.AddSingleton<IEngine>(_engine));
        await _server.AddAccountAsync(await _server.BootstrapUserIdAsync(), Channel, GatedEngine.DefaultName);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    private async Task<JsonObject> SubmitAsync(string replyUrl, string path = "saveid") =>
        await (await _server.Client.PostAsync(path, Forms.Multipart(("idname", "me"), ("image", Forms.Png), ("replyUrl", replyUrl), ("replyRef", "r1")))).JsonAsync();

    private async Task<JsonArray> DeliveriesAsync(string jobId) =>
        JsonNode.Parse(await _server.Client.GetStringAsync($"jobs/deliveries?jobid={jobId}"))!.AsArray();

    private async Task<JsonArray> WaitForDeliveryStateAsync(string jobId, string state)
    {
        // Bounded generously: a delivery may take a timed-out attempt and retries on a busy machine.
        for (var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(50))
        {
            var log = await DeliveriesAsync(jobId);
            if (log.Count > 0 && (string?)log[0]!["state"] == state) return log;
        }
        throw new TimeoutException($"Delivery of {jobId} never became {state}: {await DeliveriesAsync(jobId)}");
    }

    /// <summary>The Standard Webhooks check, written here from the spec, independently of the server's code.</summary>
    private static bool Verifies(string secret, PeerRequest call)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var content = $"{call.Headers["webhook-id"]}.{call.Headers["webhook-timestamp"]}.{call.Body}";
        var expected = Convert.ToBase64String(new HMACSHA256(key).ComputeHash(Encoding.UTF8.GetBytes(content)));
        return call.Headers["webhook-signature"].Split(' ').Any(s => s == "v1," + expected);
    }

    private async Task<string> SecretAsync() => (string)(await (await _server.Client.GetAsync("webhook")).JsonAsync())["secret"]!;

    [Fact]
    public async Task A_finished_job_is_posted_as_the_api_shows_it_and_signed()
    {
        var job = await SubmitAsync(_receiver.Url());
        var calls = await _receiver.WaitForCallsAsync(1);
        var call = calls[0];
        var shown = await _server.Client.GetStringAsync($"jobs/?jobid={job["jobid"]}");
        Assert.Equal(JsonNode.Parse(shown)!.ToJsonString(), JsonNode.Parse(call.Body)!.ToJsonString());
        Assert.Equal("completed", (string?)JsonNode.Parse(call.Body)!["status"]);
        Assert.Equal("r1", (string?)JsonNode.Parse(call.Body)!["replyRef"]);
        Assert.StartsWith("msg_", call.Headers["webhook-id"]);
        Assert.InRange(long.Parse(call.Headers["webhook-timestamp"]), DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds());
        var secret = await SecretAsync();
        Assert.StartsWith("whsec_", secret);
        Assert.True(Verifies(secret, call));
        Assert.False(Verifies("whsec_" + Convert.ToBase64String(new byte[32]), call));
        // A blocking job notifies once, at its end: its outbox holds that one delivery, delivered at the first attempt.
        var delivered = Assert.Single(await WaitForDeliveryStateAsync((string)job["jobid"]!, "delivered"));
        Assert.Single(delivered!["attempts"]!.AsArray());
        Assert.Single(_receiver.Calls);
    }

    [Fact]
    public async Task Failures_are_retried_with_the_same_id_and_logged()
    {
        _receiver.Then(new Answer(500), new Answer(503));
        var job = await SubmitAsync(_receiver.Url());
        var calls = await _receiver.WaitForCallsAsync(3);
        Assert.Single(calls.Select(c => c.Headers["webhook-id"]).Distinct());
        var secret = await SecretAsync();
        Assert.All(calls, c => Assert.True(Verifies(secret, c)));
        var log = await WaitForDeliveryStateAsync((string)job["jobid"]!, "delivered");
        var statuses = log[0]!["attempts"]!.AsArray().Select(a => (int?)a!["httpStatus"]).ToList();
        Assert.Equal([500, 503, 200], statuses);
        Assert.All(log[0]!["attempts"]!.AsArray(), a => Assert.NotNull(a!["durationMs"]));
    }

    [Fact]
    public async Task A_timeout_counts_as_a_failed_attempt()
    {
        _receiver.Then(Answer.Hang);
        var job = await SubmitAsync(_receiver.Url());
        var log = await WaitForDeliveryStateAsync((string)job["jobid"]!, "delivered");
        var first = log[0]!["attempts"]![0]!;
        Assert.Null(first["httpStatus"]);
        Assert.Contains("Timed out", (string?)first["error"]);
    }

    [Fact]
    public async Task Redirects_are_not_followed()
    {
        _receiver.Then(new Answer(302, RedirectTo: _receiver.Url("/elsewhere")), new Answer(307, RedirectTo: _receiver.Url("/elsewhere")));
        var job = await SubmitAsync(_receiver.Url());
        var log = await WaitForDeliveryStateAsync((string)job["jobid"]!, "delivered");
        Assert.Equal([302, 307, 200], log[0]!["attempts"]!.AsArray().Select(a => (int?)a!["httpStatus"]).ToList());
        Assert.DoesNotContain(_receiver.Calls, c => c.Path == "/elsewhere");
    }

    [Fact]
    public async Task Gone_stops_the_retries()
    {
        _receiver.Then(new Answer(410));
        var job = await SubmitAsync(_receiver.Url());
        var log = await WaitForDeliveryStateAsync((string)job["jobid"]!, "stopped");
        Assert.Single(log[0]!["attempts"]!.AsArray());
        Assert.Single(_receiver.Calls);
    }

    [Theory]
    [InlineData("http://127.0.0.1:9/hook", "127.0.0.1 is loopback")]
    [InlineData("http://localhost:9/hook", "localhost resolves only to non-public addresses (loopback)")]
    [InlineData("http://[::1]:9/hook", "::1 is loopback")]
    [InlineData("http://192.168.1.20/hook", "192.168.1.20 is private")]
    [InlineData("http://169.254.169.254/latest/meta-data", "169.254.169.254 is cloud metadata")]
    [InlineData("http://[2002:7f00:1::1]/hook", "is 6to4 tunnel")]
    public async Task Without_the_allow_list_a_non_public_reply_url_is_refused_at_submit(string url, string reason)
    {
        await using var guarded = await RunningServer.StartAsync(
            new Dictionary<string, string?> { ["FaceSwap:Webhooks:RetrySchedule:0"] = "00:00:00" },
            services => services.AddSingleton<IEngine>(_engine));
        await guarded.AddAccountAsync(await guarded.BootstrapUserIdAsync(), Channel, GatedEngine.DefaultName);

        var response = await guarded.Client.PostAsync("listid", Forms.Multipart(("replyUrl", url)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.JsonAsync();
        Assert.Equal($"Param replyUrl ({url}) can not receive callbacks", (string?)error["error"]);
        Assert.Contains(reason, (string?)error["errorDetails"]);
        Assert.Contains("FaceSwap:Webhooks:AllowedHosts", (string?)error["errorDetails"]);
        Assert.Contains("FaceSwap:Webhooks:AllowedNetworks", (string?)error["errorDetails"]);
        // What a name resolves to is never told.
        if (url.Contains("localhost")) Assert.DoesNotContain("127.0.0.1", (string?)error["errorDetails"]);
        Assert.Equal("[]", await guarded.Client.GetStringAsync("jobs"));
        Assert.Empty(_engine.Runs);

        // The default replyUrl is judged the same way when it is set.
        var setting = await guarded.Client.PostAsJsonAsync("webhook", new { replyUrl = url });
        Assert.Equal(HttpStatusCode.BadRequest, setting.StatusCode);
        Assert.Contains("FaceSwap:Webhooks:AllowedNetworks", (string?)(await setting.JsonAsync())["errorDetails"]);
        Assert.Null((await (await guarded.Client.GetAsync("webhook")).JsonAsync())["replyUrl"]);
    }

    [Fact]
    public async Task The_guard_still_judges_each_delivery_at_connect()
    {
        // Allowed when the job was submitted, refused when it is delivered (as after a DNS change): the connect-time
        // check is the one that counts. The delivery is written to the outbox directly, as a transition would.
        await using var guarded = await RunningServer.StartAsync(
            new Dictionary<string, string?> { ["FaceSwap:Webhooks:RetrySchedule:0"] = "00:00:00" },
            services => services.AddSingleton<IEngine>(_engine));
        await guarded.AddAccountAsync(await guarded.BootstrapUserIdAsync(), Channel, GatedEngine.DefaultName);
        var job = await (await guarded.Client.PostAsync("listid", Forms.Multipart())).JsonAsync();
        var stored = (await guarded.Service<IJobStore>().FindAsync((string)job["jobid"]!, CancellationToken.None)).Job!;
        var now = DateTimeOffset.UtcNow;
        await guarded.Service<IDeliveryStore>().EnqueueAsync(new Delivery(DeliveryPolicy.NewDeliveryId(), stored.Id, stored.UserId,
            "http://localhost:9/hook", "completed", stored, DeliveryState.Pending, 0, now, now), CancellationToken.None);
        guarded.Service<FaceSwap.Server.Webhooks.WebhookDeliverer>().Wake();
        JsonArray log;
        var tries = 0;
        do
        {
            await Task.Delay(100);
            log = JsonNode.Parse(await guarded.Client.GetStringAsync($"jobs/deliveries?jobid={job["jobid"]}"))!.AsArray();
        } while ((log.Count == 0 || log[0]!["attempts"]!.AsArray().Count == 0) && ++tries < 300);
        var error = (string?)log[0]!["attempts"]![0]!["error"];
        Assert.Contains("loopback", error);
        Assert.DoesNotContain("127.0.0.1", error);
        Assert.Empty(_receiver.Calls);
    }

    [Fact]
    public async Task The_default_reply_url_applies_to_jobs_without_one()
    {
        var saved = await _server.Client.PostAsJsonAsync("webhook", new { replyUrl = _receiver.Url("/default") });
        Assert.Equal(HttpStatusCode.NoContent, saved.StatusCode);
        Assert.Equal(_receiver.Url("/default"), (string?)(await (await _server.Client.GetAsync("webhook")).JsonAsync())["replyUrl"]);
        var job = await (await _server.Client.PostAsync("listid", Forms.Multipart())).JsonAsync();
        Assert.Equal(_receiver.Url("/default"), (string?)job["replyUrl"]);
        var calls = await _receiver.WaitForCallsAsync(1);
        Assert.Equal("/default", calls[0].Path);
        var bad = await _server.Client.PostAsJsonAsync("webhook", new { replyUrl = "ftp://example.com/x" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        // As in the commercial family, the account-wide setting is also POST /account {replyUrl}.
        Assert.Equal(HttpStatusCode.NoContent, (await _server.Client.PostAsJsonAsync("account", new { replyUrl = _receiver.Url("/other") })).StatusCode);
        Assert.Equal(_receiver.Url("/other"), (string?)(await (await _server.Client.GetAsync("webhook")).JsonAsync())["replyUrl"]);
    }

    [Fact]
    public async Task During_rotation_both_secrets_sign()
    {
        var old = await SecretAsync();
        var rotated = await (await _server.Client.PostAsync("webhook/rotate", null)).JsonAsync();
        var current = (string)rotated["secret"]!;
        Assert.NotEqual(old, current);
        Assert.Equal(old, (string?)rotated["previousSecret"]);
        await SubmitAsync(_receiver.Url());
        var call = (await _receiver.WaitForCallsAsync(1))[0];
        Assert.Equal(2, call.Headers["webhook-signature"].Split(' ').Length);
        Assert.True(Verifies(current, call));
        Assert.True(Verifies(old, call));
    }

    [Fact]
    public async Task By_default_an_async_job_calls_its_reply_url_once_when_it_ends_and_redeliver_resends()
    {
        _engine.AutoComplete = false;
        var job = await (await _server.Client.PostAsync("headshot", Forms.Multipart(("prompt", "x"), ("replyUrl", _receiver.Url())))).JsonAsync();
        var jobId = (string)job["jobid"]!;
        Assert.Equal("started", (string?)job["status"]);
        _engine.Open(jobId);
        var calls = await _receiver.WaitForCallsAsync(1);
        Assert.Equal("completed", (string?)JsonNode.Parse(calls[0].Body)!["status"]);
        // The outbox holds exactly one delivery for the job: the start was no event.
        Assert.Single(await WaitForDeliveryStateAsync(jobId, "delivered"));

        var redeliver = await _server.Client.PostAsync($"jobs/redeliver?jobid={jobId}", null);
        Assert.Equal(HttpStatusCode.Accepted, redeliver.StatusCode);
        var again = await _receiver.WaitForCallsAsync(2);
        Assert.Equal("completed", (string?)JsonNode.Parse(again[1].Body)!["status"]);
        Assert.Equal((string?)(await redeliver.JsonAsync())["webhookId"], again[1].Headers["webhook-id"]);
        Assert.Equal(2, (await DeliveriesAsync(jobId)).Count);
    }

    [Fact]
    public async Task Started_and_progress_callbacks_are_a_per_user_opt_in()
    {
        _engine.AutoComplete = false;
        var optIn = await _server.Client.PostAsJsonAsync("webhook", new { replyUrl = _receiver.Url("/all"), events = new[] { "started", "progress" } });
        Assert.Equal(HttpStatusCode.NoContent, optIn.StatusCode);
        var settings = await (await _server.Client.GetAsync("webhook")).JsonAsync();
        Assert.Equal("""["started","progress"]""", settings["events"]!.ToJsonString());

        var job = await (await _server.Client.PostAsync("headshot", Forms.Multipart(("prompt", "x")))).JsonAsync();
        var jobId = (string)job["jobid"]!;
        var started = await _receiver.WaitForCallsAsync(1);
        Assert.Equal("started", (string?)JsonNode.Parse(started[0].Body)!["status"]);
        _engine.Open(jobId);
        var calls = await _receiver.WaitForCallsAsync(2);
        Assert.Equal("completed", (string?)JsonNode.Parse(calls[1].Body)!["status"]);
        Assert.NotEqual(calls[0].Headers["webhook-id"], calls[1].Headers["webhook-id"]);

        // Setting the replyUrl again without events opts out; an event that is not an opt-in is refused.
        Assert.Equal(HttpStatusCode.NoContent, (await _server.Client.PostAsJsonAsync("webhook", new { replyUrl = _receiver.Url("/all") })).StatusCode);
        Assert.Equal("[]", (await (await _server.Client.GetAsync("webhook")).JsonAsync())["events"]!.ToJsonString());
        var bad = await _server.Client.PostAsJsonAsync("webhook", new { replyUrl = _receiver.Url("/all"), events = new[] { "completed" } });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("Param events must be a list of event names", (string?)(await bad.JsonAsync())["error"]);
    }

    [Fact]
    public async Task A_dead_receiver_never_holds_up_the_job()
    {
        var job = await SubmitAsync("http://127.0.0.1:9/nothing-listens-here");
        Assert.Equal("completed", (string?)job["status"]);
        var log = await WaitForDeliveryStateAsync((string)job["jobid"]!, "failed");
        Assert.Equal(4, log[0]!["attempts"]!.AsArray().Count);
    }

    [Fact]
    public async Task Pending_deliveries_survive_a_restart()
    {
        _receiver.Then(Enumerable.Repeat(new Answer(500), 1).ToArray());
        var dataDir = _server.DataDir;
        await _server.DisposeAsync();
        var settings = Settings();
        settings["FaceSwap:Webhooks:RetrySchedule:1"] = "00:00:03";
        await using (var first = await RunningServer.StartAsync(settings, services => services.AddSingleton<IEngine>(_engine), dataDir))
        {
            await (await first.Client.PostAsync("saveid", Forms.Multipart(("idname", "me"), ("image", Forms.Png), ("replyUrl", _receiver.Url())))).JsonAsync();
            await _receiver.WaitForCallsAsync(1);
        }
        // Stopped with the retry pending: the next process sends it.
        _server = await RunningServer.StartAsync(settings, services => services.AddSingleton<IEngine>(_engine), dataDir);
        var calls = await _receiver.WaitForCallsAsync(2, TimeSpan.FromSeconds(30));
        Assert.Equal(calls[0].Headers["webhook-id"], calls[1].Headers["webhook-id"]);
    }
}
