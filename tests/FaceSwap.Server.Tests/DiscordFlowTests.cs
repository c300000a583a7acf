using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FaceSwap.Server.Tests.Infrastructure;
using OpenCvSharp;

namespace FaceSwap.Server.Tests;

/// <summary>The whole API through the discord engine against the in-process sandbox (the Discord emulator).</summary>
public sealed class DiscordFlowTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await SandboxedServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<JsonObject> PostAsync(string path, params (string, object)[] parts)
    {
        var response = await _server.Client.PostAsync(path, Forms.Multipart(parts));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    /// <summary>Completed, or the job itself (with its error) in the failure message.</summary>
    private static void AssertCompleted(JsonObject job) =>
        Assert.True((string?)job["status"] == "completed", job.ToJsonString());

    [Fact]
    public async Task The_bootstrap_user_has_a_sandbox_channel()
    {
        var accounts = await (await _server.Client.GetAsync("account")).JsonAsync();
        var channel = accounts[SandboxedServer.Channel]!;
        Assert.Equal("discord", (string?)channel["engine"]);
        Assert.Equal("san…secured…ken", (string?)channel["discord"]);
    }

    [Fact]
    public async Task Saveid_then_swapid_returns_a_rehosted_result()
    {
        var raw = await (await _server.Client.PostAsync("saveid", Forms.Multipart(("idname", "me"), ("image", SandboxedServer.FacePhoto(seed: 1))))).BodyAsync();
        Assert.Matches(new Regex("\"timestamp\":\"[0-9T:.-]+\\+00:00\""), raw); // written as the seed writes it, '+' unescaped
        var saved = (JsonNode.Parse(raw) as JsonObject)!;
        AssertCompleted(saved);
        Assert.Equal("idname me created", (string?)saved["content"]);
        Assert.Matches(new Regex(@"^\d{17,20}$"), (string?)saved["messageId"]);
        Assert.Matches(new Regex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$"), (string?)saved["timestamp"]);
        Assert.Contains("me", _server.Sandbox().State.FindChannel(SandboxedServer.Channel)!.SavedIds.Names);

        var target = SandboxedServer.FacePhoto(160, seed: 3);
        var swapped = await PostAsync("swapid", ("idname", "me"), ("image", target));
        AssertCompleted(swapped);
        Assert.Contains("[SaveID: 'me']", (string?)swapped["content"]);
        var attachment = swapped["attachments"]![0]!;
        var url = (string)attachment["url"]!;
        Assert.StartsWith(_server.BaseUrl.ToString().TrimEnd('/') + "/v1/faceswap/files/", url);
        Assert.Equal(160, (int?)attachment["width"]);
        using var anonymous = new HttpClient();
        var bytes = await anonymous.GetByteArrayAsync(url);
        Assert.Equal((long?)attachment["size"], bytes.Length);
        using var result = Cv2.ImDecode(bytes, ImreadModes.Color);
        Assert.Equal(160, result.Width);
        var thumbnail = await anonymous.GetByteArrayAsync((string)attachment["proxy_url"]! + "&width=80&height=80");
        using (var small = Cv2.ImDecode(thumbnail, ImreadModes.Color)) Assert.Equal(new Size(80, 80), small.Size());
        using var original = Cv2.ImDecode(target, ImreadModes.Color);
        Assert.True(Cv2.Norm(result, original) > 0, "the result differs from the target");
    }

    [Fact]
    public async Task Listid_setid_delid_delall_carry_the_bots_text()
    {
        await PostAsync("saveid", ("idname", "alice"), ("image", SandboxedServer.FacePhoto(seed: 1)));
        await PostAsync("saveid", ("idname", "bob"), ("image", SandboxedServer.FacePhoto(seed: 2)));
        var set = await PostAsync("setid", ("idname", "alice,bob"));
        Assert.Contains("alice,bob", (string?)set["content"]);
        var list = await PostAsync("listid");
        Assert.Contains("`alice`", (string?)list["content"]);
        var delid = await (await _server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "delid") { Content = Forms.Multipart(("idname", "bob")) })).JsonAsync();
        Assert.Equal("idname bob deleted", (string?)delid["content"]);
        var delall = await (await _server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "delall") { Content = Forms.Multipart() })).JsonAsync();
        Assert.Equal("All idnames deleted", (string?)delall["content"]);
        Assert.Empty(_server.Sandbox().State.FindChannel(SandboxedServer.Channel)!.SavedIds.Names);
    }

    [Fact]
    public async Task Headshot_is_async_started_then_completed()
    {
        // The bot's result comes 3 s after its first reply (not the fixture's 0.6 s), so the job is surely still
        // running when the test first reads it, however loaded the machine is.
        await _server.DisposeAsync();
        _server = await SandboxedServer.StartAsync(("FaceSwap:Sandbox:AsyncResultDelay", "00:00:03"));
        await PostAsync("saveid", ("idname", "me"), ("image", SandboxedServer.FacePhoto()));
        var job = await PostAsync("headshot", ("prompt", "me, a mad king"));
        // The answer comes after the bot's first reply, and carries it (spec section 3, async).
        Assert.Equal("started", (string?)job["status"]);
        Assert.Contains("Job Submitted [jobid:", (string?)job["content"]);
        var jobId = (string)job["jobid"]!;
        var seenSubmitted = false;
        JsonObject current;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            current = (JsonNode.Parse(await _server.Client.GetStringAsync($"jobs/?jobid={jobId}")) as JsonObject)!;
            seenSubmitted |= ((string?)current["content"])?.Contains("Job Submitted [jobid:") == true && (string?)current["status"] is "started" or "progress";
            await Task.Delay(50);
        } while ((string?)current["status"] is "created" or "started" or "progress" && DateTime.UtcNow < deadline);
        AssertCompleted(current);
        Assert.True(seenSubmitted, "the job showed the bot's Job Submitted reply while it ran");
        Assert.Contains("Job Completed", (string?)current["content"]);
        Assert.NotNull(current["attachments"]![0]!["url"]);
    }

    [Fact]
    public async Task An_invalid_discord_token_fails_the_job_and_marks_the_account()
    {
        _server.Sandbox().Faults.InvalidateToken(SandboxedServer.SandboxToken);
        var job = await PostAsync("listid");
        Assert.Equal("failed", (string?)job["status"]);
        Assert.False(string.IsNullOrEmpty((string?)job["error"]));
        Assert.Contains("/account/", (string?)job["errorDetails"]);
        var account = await (await _server.Client.GetAsync($"account/{SandboxedServer.Channel}")).JsonAsync();
        Assert.Equal("token_invalid", (string?)account["health"]);
    }

    [Fact]
    public async Task A_forbidden_account_shows_why_and_is_skipped_when_a_channel_is_chosen()
    {
        _server.Sandbox().Faults.RefuseNext(FaceSwap.Sandbox.AccountRefusal.MissingPermissions, 1, "create-interaction", SandboxedServer.SandboxToken);
        var job = await PostAsync("listid");
        Assert.Equal("failed", (string?)job["status"]);
        Assert.Equal("Discord forbids this account in the channel", (string?)job["error"]);
        Assert.Contains("50013", (string?)job["errorDetails"]);

        var account = await (await _server.Client.GetAsync($"account/{SandboxedServer.Channel}")).JsonAsync();
        Assert.Equal("forbidden", (string?)account["health"]);
        Assert.Equal((string?)job["errorDetails"], (string?)account["healthDetail"]);

        // Load balancing (swap picks any channel with credits) passes over it: here no channel is left.
        var swap = await _server.Client.PostAsync("swap", Forms.Multipart(("saveid_image", SandboxedServer.FacePhoto(seed: 1)), ("swapid_image", SandboxedServer.FacePhoto(seed: 2))));
        Assert.Equal(HttpStatusCode.BadRequest, swap.StatusCode);
        Assert.Contains("No configured channel", (string?)(await swap.JsonAsync())["error"]);
    }

    [Fact]
    public async Task Discord_requests_are_counted_on_metrics()
    {
        using var anonymous = _server.CreateClient(null);
        // prometheus-net starts listening to .NET meters when it is first scraped, as Prometheus does from the start.
        await anonymous.GetStringAsync("/metrics");

        AssertCompleted(await PostAsync("saveid", ("idname", "me"), ("image", SandboxedServer.FacePhoto(seed: 1))));

        var metrics = await anonymous.GetStringAsync("/metrics");
        var discord = string.Join("\n", metrics.Split('\n').Where(l => l.StartsWith("faceswap_discord", StringComparison.Ordinal)));
        Assert.Matches(@"faceswap_discord_requests\w*\{[^}]*purpose=""interaction""[^}]*\} [1-9]", discord);
        Assert.Matches(@"faceswap_discord_requests\w*\{[^}]*purpose=""poll""[^}]*\} [1-9]", discord);
        Assert.Matches(@"faceswap_discord_job_requests\w*_count\{[^}]*verb=""saveid""[^}]*\} [1-9]", discord);
    }

    [Fact]
    public async Task A_captcha_challenge_locks_the_account()
    {
        _server.Sandbox().Faults.RefuseNext(FaceSwap.Sandbox.AccountRefusal.Captcha, 1, "create-interaction", SandboxedServer.SandboxToken);
        var job = await PostAsync("listid");
        Assert.Equal("Discord account is locked", (string?)job["error"]);
        var account = await (await _server.Client.GetAsync($"account/{SandboxedServer.Channel}")).JsonAsync();
        Assert.Equal("locked", (string?)account["health"]);
        Assert.Contains("captcha", (string?)account["healthDetail"]);
    }

    [Fact]
    public async Task A_moderated_reply_ends_the_job_moderated()
    {
        await PostAsync("saveid", ("idname", "me"), ("image", SandboxedServer.FacePhoto()));
        _server.Sandbox().Faults.ModerateNext();
        var job = await PostAsync("swapid", ("idname", "me"), ("image", SandboxedServer.FacePhoto(seed: 4)));
        Assert.Equal("moderated", (string?)job["status"]);
        Assert.Contains("moderated", (string?)job["content"]);
    }

    [Fact]
    public async Task Rate_limits_and_server_errors_are_ridden_out()
    {
        _server.Sandbox().Faults.RateLimitNext(2, TimeSpan.FromMilliseconds(300), "create-interaction");
        _server.Sandbox().Faults.FailNext(1, 502, "get-messages");
        var job = await PostAsync("listid");
        AssertCompleted(job);
    }

    [Fact]
    public async Task A_missing_reply_fails_the_job_at_the_first_reply_deadline_with_a_clear_error()
    {
        await using var impatient = await SandboxedServer.StartAsync(("FaceSwap:Discord:FirstReplyTimeout", "00:00:03"));
        impatient.Sandbox().Faults.DropNextReplies();
        var job = await (await impatient.Client.PostAsync("listid", Forms.Multipart())).JsonAsync();
        Assert.Equal("failed", (string?)job["status"]);
        Assert.Equal("InsightFaceSwap did not answer; the command may have been refused privately", (string?)job["error"]);
        Assert.Contains("/listid", (string?)job["errorDetails"]);
    }

    [Fact]
    public async Task Exhausted_credits_fail_the_job_and_show_on_the_account()
    {
        await PostAsync("saveid", ("idname", "me"), ("image", SandboxedServer.FacePhoto()));
        var sandbox = _server.Sandbox();
        var userId = sandbox.State.FindAccount(SandboxedServer.SandboxToken)!.UserId;
        sandbox.State.Credits.SetUsed(userId, 50);
        var job = await PostAsync("swapid", ("idname", "me"), ("image", SandboxedServer.FacePhoto(seed: 5)));
        Assert.Equal("failed", (string?)job["status"]);
        Assert.Contains("credit", ((string?)job["error"] + (string?)job["errorDetails"]).ToLowerInvariant());
        var account = await (await _server.Client.GetAsync($"account/{SandboxedServer.Channel}")).JsonAsync();
        Assert.Equal("credits_exhausted", (string?)account["health"]);

        // Credits back (a new day): the next job goes through and the account is healthy again.
        sandbox.State.Credits.SetUsed(userId, 0);
        AssertCompleted(await PostAsync("swapid", ("idname", "me"), ("image", SandboxedServer.FacePhoto(seed: 6))));
        var healed = await (await _server.Client.GetAsync($"account/{SandboxedServer.Channel}")).JsonAsync();
        Assert.Equal("ok", (string?)healed["health"]);
    }

    [Fact]
    public async Task Inswapper_targets_an_earlier_result_message()
    {
        await PostAsync("saveid", ("idname", "me"), ("image", SandboxedServer.FacePhoto()));
        var swapped = await PostAsync("swapid", ("idname", "me"), ("image", SandboxedServer.FacePhoto(128, seed: 6)));
        var job = await PostAsync("inswapper", ("targetMessageId", (string)swapped["messageId"]!));
        AssertCompleted(job);
        Assert.Equal((string?)swapped["messageId"], (string?)job["targetMessageId"]);
        Assert.NotNull(job["attachments"]);
    }

    [Fact]
    public async Task Swap_runs_saveid_and_swapid_in_one_job()
    {
        var job = await PostAsync("swap", ("saveid_image", SandboxedServer.FacePhoto(seed: 1)), ("swapid_image", SandboxedServer.FacePhoto(128, seed: 2)));
        AssertCompleted(job);
        Assert.Equal("faceswap-swap", (string?)job["verb"]);
        Assert.NotNull(job["attachments"]![0]!["url"]);
        Assert.Equal(SandboxedServer.FacePhoto(seed: 1).Length, (int?)job["saveid_image"]!["size"]);
    }

    [Fact]
    public async Task Swap_leaves_the_default_idname_as_it_was()
    {
        await PostAsync("saveid", ("idname", "me"), ("image", SandboxedServer.FacePhoto(seed: 1)));
        var defaults = _server.Sandbox().State.FindChannel(SandboxedServer.Channel)!.SavedIds;
        Assert.Equal(["me"], defaults.Defaults);

        AssertCompleted(await PostAsync("swap", ("saveid_image", SandboxedServer.FacePhoto(seed: 2)), ("swapid_image", SandboxedServer.FacePhoto(128, seed: 3))));

        Assert.Equal(["me"], defaults.Defaults);
        Assert.Equal(["me"], defaults.Names);
    }
}
