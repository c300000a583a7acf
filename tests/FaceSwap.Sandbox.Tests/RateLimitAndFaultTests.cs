using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static FaceSwap.Sandbox.Tests.TestDiscord;

namespace FaceSwap.Sandbox.Tests;

public sealed class RateLimitAndFaultTests
{
    [Fact]
    public async Task Sixth_interaction_within_five_seconds_answers_a_real_429_with_retry_after()
    {
        await using var discord = await StartAsync();
        var bodies = new List<JsonObject>();
        for (int i = 0; i < 6; i++) bodies.Add(await discord.InteractionBodyAsync("listid"));

        for (int i = 0; i < 5; i++)
        {
            using var ok = await discord.PostInteractionAsync(bodies[i]);
            Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
            Assert.Equal((4 - i).ToString(), ok.Headers.GetValues("X-RateLimit-Remaining").Single());
            Assert.Equal("5", ok.Headers.GetValues("X-RateLimit-Limit").Single());
        }
        using var limited = await discord.PostInteractionAsync(bodies[5]);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        var body = JsonNode.Parse(await limited.Content.ReadAsStringAsync())!;
        Assert.Equal("You are being rate limited.", (string)body["message"]!);
        Assert.False((bool)body["global"]!);
        double retryAfter = (double)body["retry_after"]!;
        Assert.InRange(retryAfter, 0.001, 5);
        Assert.Equal(((int)Math.Ceiling(retryAfter)).ToString(), limited.Headers.GetValues("Retry-After").Single());
        Assert.Equal("user", limited.Headers.GetValues("X-RateLimit-Scope").Single());
        Assert.Equal("0", limited.Headers.GetValues("X-RateLimit-Remaining").Single());

        // The bot saw five interactions, not six: once the window is over, a seventh is answered right after the fifth.
        discord.Clock.Advance(TimeSpan.FromSeconds(5));
        var marker = await discord.InteractionBodyAsync("listid");
        using (var later = await discord.PostInteractionAsync(marker)) Assert.Equal(HttpStatusCode.NoContent, later.StatusCode);
        await discord.WaitForReplyAsync((string)marker["nonce"]!);
        Assert.Equal(6, (await discord.MessagesAsync()).Count);
    }

    [Fact]
    public async Task Bucket_refills_after_its_window()
    {
        await using var discord = await StartAsync(o => o.RateLimits[SandboxRoutes.GetCurrentUser] = new(2, TimeSpan.FromMilliseconds(400)));
        for (int i = 0; i < 2; i++) (await discord.Http.GetAsync("users/@me")).Dispose();
        using (var limited = await discord.Http.GetAsync("users/@me")) Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        discord.Clock.Advance(TimeSpan.FromMilliseconds(400));
        using var again = await discord.Http.GetAsync("users/@me");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("1", again.Headers.GetValues("X-RateLimit-Remaining").Single());
        double resetAfter = double.Parse(again.Headers.GetValues("X-RateLimit-Reset-After").Single(), CultureInfo.InvariantCulture);
        Assert.InRange(resetAfter, 0, 0.4);
    }

    [Fact]
    public async Task Messages_buckets_are_per_channel_and_share_one_bucket_name()
    {
        await using var discord = await StartAsync(o => o.RateLimits[SandboxRoutes.GetMessages] = new(1, TimeSpan.FromSeconds(5)));
        discord.Server.State.AddAccount(Token, GuildId, "1100000000000000003");
        using var first = await discord.Http.GetAsync($"channels/{ChannelId}/messages");
        using var second = await discord.Http.GetAsync($"channels/{ChannelId}/messages");
        using var other = await discord.Http.GetAsync("channels/1100000000000000003/messages");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal(first.Headers.GetValues("X-RateLimit-Bucket").Single(), other.Headers.GetValues("X-RateLimit-Bucket").Single());
    }

    [Fact]
    public async Task Injected_429_hits_only_its_route_for_its_count()
    {
        await using var discord = await StartAsync(Unlimited);
        discord.Server.Faults.RateLimitNext(2, TimeSpan.FromSeconds(2.5), SandboxRoutes.GetMessages);

        using (var user = await discord.Http.GetAsync("users/@me")) Assert.Equal(HttpStatusCode.OK, user.StatusCode);
        for (int i = 0; i < 2; i++)
        {
            using var limited = await discord.Http.GetAsync($"channels/{ChannelId}/messages");
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.Equal(2.5, (double)JsonNode.Parse(await limited.Content.ReadAsStringAsync())!["retry_after"]!);
            Assert.Equal("3", limited.Headers.GetValues("Retry-After").Single());
        }
        using var after = await discord.Http.GetAsync($"channels/{ChannelId}/messages");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task Injected_global_429_says_global()
    {
        await using var discord = await StartAsync(Unlimited);
        discord.Server.Faults.RateLimitNext(1, TimeSpan.FromSeconds(1), global: true);
        using var limited = await discord.Http.GetAsync("users/@me");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True((bool)JsonNode.Parse(await limited.Content.ReadAsStringAsync())!["global"]!);
        Assert.Equal("true", limited.Headers.GetValues("X-RateLimit-Global").Single());
    }

    [Fact]
    public async Task Injected_server_errors_answer_5xx_then_recover()
    {
        await using var discord = await StartAsync(Unlimited);
        discord.Server.Faults.FailNext(2, 502, SandboxRoutes.CreateInteraction);
        var body = await discord.InteractionBodyAsync("listid");
        using (var first = await discord.PostInteractionAsync(body)) Assert.Equal(HttpStatusCode.BadGateway, first.StatusCode);
        using (var second = await discord.PostInteractionAsync(body)) Assert.Equal(HttpStatusCode.BadGateway, second.StatusCode);
        using var third = await discord.PostInteractionAsync(body);
        Assert.Equal(HttpStatusCode.NoContent, third.StatusCode);
        // The two failed calls never reached the bot: a later command is answered right after the third.
        await discord.WaitForReplyAsync((string)body["nonce"]!);
        await discord.WaitForReplyAsync(await discord.SendAsync("listid"));
        Assert.Equal(2, (await discord.MessagesAsync()).Count);
    }

    [Fact]
    public async Task Reply_delay_holds_the_bot_reply_back()
    {
        // A bot that needs more than Discord's 3 seconds defers; an immediate answer that late would be refused.
        await using var discord = await StartAsync(o => { Unlimited(o); o.Replies.Patterns = [Bot.ReplyPattern.Deferred]; });
        discord.Server.Faults.BotReplyDelay = TimeSpan.FromSeconds(3);
        string sent = await discord.SendAsync("listid");
        var reply = await discord.WaitForReplyAsync(sent);
        // Configured 1 s plus the fault's 3 s, in fake time from the moment the interaction was accepted.
        Assert.True(DateTimeOffset.Parse((string)reply["edited_timestamp"]!) >= Start + TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task Missing_reply_leaves_the_channel_silent_for_that_interaction_only()
    {
        await using var discord = await StartAsync(Unlimited);
        discord.Server.Faults.DropNextReplies(1);
        string lost = await discord.SendAsync("listid");
        string next = await discord.SendAsync("listid");
        // The bot answers in order, so once the second is answered the first never will be.
        var reply = await discord.WaitForReplyAsync(next);
        Assert.Equal(reply["id"]!.ToString(), (await discord.MessagesAsync()).Single()["id"]!.ToString());
        Assert.True(ulong.Parse(lost) < ulong.Parse(next));
    }

    [Fact]
    public async Task Moderated_fault_answers_the_moderation_text_without_a_result()
    {
        await using var discord = await StartAsync(Unlimited);
        await discord.WaitForReplyAsync(await discord.SendAsync("saveid", new Option("idname", "me"), new Option("image", File: ("a.png", TestImages.Face()))));
        discord.Server.Faults.ModerateNext();
        var reply = await discord.WaitForReplyAsync(await discord.SendAsync("swapid", new Option("idname", "me"), new Option("image", File: ("a.png", TestImages.Face()))));
        Assert.Equal($"<@{discord.UserId}> Your image was moderated: it does not follow the Picsi.Ai content policy and was not processed.", (string)reply["content"]!);
        Assert.Empty(reply["attachments"]!.AsArray());
        Assert.Equal(49, discord.Server.State.Credits.Left(discord.UserId));
    }

    [Fact]
    public async Task Invalidated_token_answers_401_until_restored()
    {
        await using var discord = await StartAsync(Unlimited);
        discord.Server.Faults.InvalidateToken(Token);
        using (var denied = await discord.Http.GetAsync("users/@me"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
            Assert.Equal("""{"message":"401: Unauthorized","code":0}""", await denied.Content.ReadAsStringAsync());
        }
        discord.Server.Faults.RestoreToken(Token);
        using var allowed = await discord.Http.GetAsync("users/@me");
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task Faults_can_be_armed_and_cleared_over_http()
    {
        await using var discord = await StartAsync(Unlimited);
        using var control = new HttpClient { BaseAddress = discord.Server.Origin };

        using (var armed = await control.PostAsJsonAsync("_sandbox/faults", new { kind = "server_error", count = 1, status = 500, route = "get-current-user" }))
            Assert.Equal(HttpStatusCode.OK, armed.StatusCode);
        using (var failed = await discord.Http.GetAsync("users/@me")) Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);

        using (var token = await control.PostAsJsonAsync("_sandbox/faults", new { kind = "invalid_token", token = Token })) Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        using (var denied = await discord.Http.GetAsync("users/@me")) Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);

        using (var cleared = await control.DeleteAsync("_sandbox/faults")) Assert.Equal(HttpStatusCode.NoContent, cleared.StatusCode);
        using (var ok = await discord.Http.GetAsync("users/@me")) Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        using (var rateLimit = await control.PostAsJsonAsync("_sandbox/faults", new { kind = "rate_limit", count = 1, retry_after = 0.25 }))
            Assert.Equal(HttpStatusCode.OK, rateLimit.StatusCode);
        using (var limited = await discord.Http.GetAsync("users/@me"))
            Assert.Equal(0.25, (double)JsonNode.Parse(await limited.Content.ReadAsStringAsync())!["retry_after"]!);

        using (var bad = await control.PostAsJsonAsync("_sandbox/faults", new { kind = "earthquake" })) Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using (var badRoute = await control.PostAsJsonAsync("_sandbox/faults", new { kind = "rate_limit", route = "nope" }))
            Assert.Equal(HttpStatusCode.BadRequest, badRoute.StatusCode);

        using (var deferred = await control.PostAsJsonAsync("_sandbox/faults", new { kind = "reply_pattern", pattern = "deferred", count = 1 }))
        {
            Assert.Equal(HttpStatusCode.OK, deferred.StatusCode);
            Assert.Equal("deferred", (string)JsonNode.Parse(await deferred.Content.ReadAsStringAsync())!["reply_patterns"]![0]!);
        }
        await discord.SendAsync("listid");
        Assert.Equal(128, (int)(await discord.MessagesAsync()).Single()["flags"]!);
        using (var badPattern = await control.PostAsJsonAsync("_sandbox/faults", new { kind = "reply_pattern", pattern = "shrug" }))
            Assert.Equal(HttpStatusCode.BadRequest, badPattern.StatusCode);
    }

    [Fact]
    public async Task Accounts_can_be_added_over_http()
    {
        await using var discord = await StartAsync(Unlimited);
        using var control = new HttpClient { BaseAddress = discord.Server.Origin };
        using var added = await control.PostAsJsonAsync("_sandbox/accounts",
            new { token = "t2", guild_id = "1500000000000000001", channel_id = "1500000000000000002" });
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        string userId = (string)JsonNode.Parse(await added.Content.ReadAsStringAsync())!["user_id"]!;

        using var client = ApiClient(discord.Server, "t2");
        var me = JsonNode.Parse(await client.GetStringAsync("users/@me"))!;
        Assert.Equal(userId, (string)me["id"]!);
    }

    [Fact]
    public async Task Concurrent_commands_from_many_requests_all_get_exactly_one_reply()
    {
        await using var discord = await StartAsync(Unlimited);
        var bodies = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => discord.InteractionBodyAsync("listid")));
        var responses = await Task.WhenAll(bodies.Select(b => discord.PostInteractionAsync(b)));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.NoContent, r.StatusCode));
        await discord.WaitUntilAsync(() => discord.Server.UnansweredInteractions == 0);
        var messages = await discord.MessagesAsync();
        // A bot with a queue this long defers (LOADING at once) and edits each in turn: one message per interaction.
        Assert.All(messages, m => Assert.Equal(0, (int)m["flags"]!));
        Assert.Equal(20, messages.Count);
        Assert.Equal(20, messages.Select(m => (string)m["interaction_metadata"]!["id"]!).Distinct().Count());
        Assert.All(messages, m => Assert.False(m.ContainsKey("nonce")));
        var ids = messages.Select(m => ulong.Parse((string)m["id"]!)).ToList();
        Assert.Equal(ids.OrderDescending(), ids);
    }
}
