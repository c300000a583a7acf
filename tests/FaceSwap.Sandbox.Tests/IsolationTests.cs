using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using static FaceSwap.Sandbox.Tests.TestDiscord;

namespace FaceSwap.Sandbox.Tests;

/// <summary>
/// Each sandbox identity has a guild and channel of its own; a token used on a channel whose guild its user is not
/// in gets Discord's 403 Missing Access (50001), so no user reaches another's channel, history or saved faces.
/// </summary>
public sealed class IsolationTests
{
    private const string OtherToken = "sandbox.other";
    private const string OtherGuild = "1200000000000000001";
    private const string OtherChannel = "1200000000000000002";

    [Fact]
    public async Task A_token_on_another_users_channel_gets_403_missing_access_everywhere()
    {
        await using var discord = await StartAsync(Unlimited);
        await discord.WaitForReplyAsync(await discord.SendAsync("saveid", new Option("idname", "me"), new Option("image", File: ("a.png", TestImages.Face()))));
        var mine = discord.Server.State.Messages(ChannelId)[0].Id;
        discord.Server.State.AddAccount(OtherToken, OtherGuild, OtherChannel, "intruder");
        using var intruder = ApiClient(discord.Server, OtherToken);

        async Task AssertMissingAccess(HttpResponseMessage response)
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("""{"message":"Missing Access","code":50001}""", await response.Content.ReadAsStringAsync());
            response.Dispose();
        }
        await AssertMissingAccess(await intruder.GetAsync($"channels/{ChannelId}/messages"));
        await AssertMissingAccess(await intruder.GetAsync($"channels/{ChannelId}/messages/{mine}"));
        await AssertMissingAccess(await intruder.GetAsync($"guilds/{GuildId}/application-command-index"));
        await AssertMissingAccess(await intruder.PostAsJsonAsync($"channels/{ChannelId}/attachments", new { files = new[] { new { id = "0", filename = "a.png", file_size = 10 } } }));
        await AssertMissingAccess(await intruder.PostAsync($"channels/{ChannelId}/messages", new StringContent("""{"content":"hi"}""", Encoding.UTF8, "application/json")));

        // An interaction naming my channel (with the intruder's own guild or mine) reaches nothing of mine.
        var body = await discord.InteractionBodyAsync("listid");
        await AssertMissingAccess(await intruder.PostAsync("interactions", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json")));
        Assert.Single(discord.Server.State.Messages(ChannelId));

        // Its own channel works, and its saved faces are its own.
        using var own = await intruder.GetAsync($"channels/{OtherChannel}/messages");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Empty(discord.Server.State.FindChannel(OtherChannel)!.SavedIds.Names);
        Assert.Equal(["me"], discord.Server.State.FindChannel(ChannelId)!.SavedIds.Names);
    }

    [Fact]
    public async Task Token_for_finds_the_channels_owner_and_another_guild_cannot_take_the_channel()
    {
        await using var discord = await StartAsync(Unlimited);
        Assert.Equal(Token, discord.Server.State.TokenFor(ChannelId));
        Assert.Null(discord.Server.State.TokenFor(OtherChannel));
        Assert.Throws<ArgumentException>(() => discord.Server.State.AddAccount(OtherToken, OtherGuild, ChannelId));
        using var intruder = ApiClient(discord.Server, OtherToken);
        using var response = await intruder.GetAsync("users/@me");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode); // the failed registration left no identity behind
    }
}
