using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static FaceSwap.Sandbox.Tests.TestDiscord;

namespace FaceSwap.Sandbox.Tests;

/// <summary>Discord's refusals of an account it no longer trusts, for the engine's account-health tests.</summary>
public sealed class AccountRefusalTests
{
    [Theory]
    [InlineData(AccountRefusal.Unauthorized, 401, """{"message":"401: Unauthorized","code":0}""")]
    [InlineData(AccountRefusal.VerificationRequired, 403, """{"message":"You need to verify your account in order to perform this action.","code":40002}""")]
    [InlineData(AccountRefusal.MissingAccess, 403, """{"message":"Missing Access","code":50001}""")]
    [InlineData(AccountRefusal.MissingPermissions, 403, """{"message":"Missing Permissions","code":50013}""")]
    public async Task Refusal_answers_discords_status_and_code_for_its_count_then_recovers(AccountRefusal refusal, int status, string body)
    {
        await using var discord = await StartAsync(Unlimited);
        discord.Server.Faults.RefuseNext(refusal, count: 2, route: SandboxRoutes.CreateInteraction);

        for (int i = 0; i < 2; i++)
        {
            using var refused = await discord.PostInteractionAsync(await discord.InteractionBodyAsync("listid"));
            Assert.Equal(status, (int)refused.StatusCode);
            Assert.Equal(body, await refused.Content.ReadAsStringAsync());
        }
        using (var other = await discord.Http.GetAsync("users/@me")) Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        await discord.WaitForReplyAsync(await discord.SendAsync("listid"));
        // Refused interactions never reached the bot.
        Assert.Single(await discord.MessagesAsync());
    }

    [Fact]
    public async Task Captcha_challenge_answers_400_with_captcha_fields()
    {
        await using var discord = await StartAsync(Unlimited);
        var body = await discord.InteractionBodyAsync("listid");
        discord.Server.Faults.RefuseNext(AccountRefusal.Captcha);
        using var refused = await discord.PostInteractionAsync(body);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var challenge = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal("captcha-required", (string)challenge["captcha_key"]![0]!);
        Assert.Equal("hcaptcha", (string)challenge["captcha_service"]!);
        Assert.Matches("^[0-9a-f-]{36}$", (string)challenge["captcha_sitekey"]!);
        Assert.False(challenge.ContainsKey("code"));
    }

    [Fact]
    public async Task Refusal_aimed_at_one_token_leaves_other_accounts_alone()
    {
        await using var discord = await StartAsync(Unlimited);
        discord.Server.State.AddAccount("other-token", "1100000000000000009", "1100000000000000010");
        discord.Server.Faults.RefuseNext(AccountRefusal.MissingPermissions, count: 5, token: "other-token");

        using (var mine = await discord.Http.GetAsync("users/@me")) Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        using var other = ApiClient(discord.Server, "other-token");
        using var refused = await other.GetAsync("users/@me");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task Refusals_can_be_armed_over_http()
    {
        await using var discord = await StartAsync(Unlimited);
        using var control = new HttpClient { BaseAddress = discord.Server.Origin };
        using (var armed = await control.PostAsJsonAsync("_sandbox/faults", new { kind = "refuse", refusal = "verification_required", route = "get-messages" }))
            Assert.Equal(HttpStatusCode.OK, armed.StatusCode);
        using (var refused = await discord.Http.GetAsync($"channels/{ChannelId}/messages"))
            Assert.Equal(40002, (int)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["code"]!);
        using (var bad = await control.PostAsJsonAsync("_sandbox/faults", new { kind = "refuse", refusal = "banned" }))
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }
}
