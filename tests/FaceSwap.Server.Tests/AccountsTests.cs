using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FaceSwap.Server.Tests.Infrastructure;

namespace FaceSwap.Server.Tests;

public sealed class AccountsTests : IAsyncLifetime
{
    private const string Channel = "1100000000000000001";
    private const string Server = "1200000000000000001";
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<HttpResponseMessage> Post(string channel, object body) =>
        _server.Client.PostAsJsonAsync($"account/{channel}", body);

    [Fact]
    public async Task No_accounts_is_404_with_the_hint()
    {
        var response = await _server.Client.GetAsync("account");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("""{"error":"Configuration not found. To create configuration use faceswap/account/channel.","code":404}""", await response.BodyAsync());
        var one = await _server.Client.GetAsync($"account/{Channel}");
        Assert.Equal(HttpStatusCode.NotFound, one.StatusCode);
        Assert.Equal("""{"error":"Configuration not found. To create configuration use faceswap/account/channel.","code":404}""", await one.BodyAsync());
        var delete = await _server.Client.DeleteAsync($"account/{Channel}");
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        Assert.Equal("""{"error":"Configuration not found. To create configuration use faceswap/account/channel.","code":404}""", await delete.BodyAsync());
    }

    [Theory]
    [InlineData("""{"server":"1200000000000000001","channel":"1100000000000000001"}""", "Required param discord is missing or empty")]
    [InlineData("""{"discord":"tok","channel":"1100000000000000001"}""", "Required param server is missing or empty")]
    [InlineData("""{"discord":"tok","server":"1200000000000000001"}""", "Required param channel is missing or empty")]
    [InlineData("""{"discord":"","server":"1200000000000000001","channel":"1100000000000000001"}""", "Required param discord is missing or empty")]
    [InlineData("""{"discord":"tok","server":"1200000000000000001","channel":"12ab"}""", "Required param channel (12ab) is not valid Discord channel id")]
    [InlineData("""{"discord":"tok","server":"1200000000000000001","channel":"1100000000000000009"}""", "Required param channel (1100000000000000009) not matching to /faceswap/account/1100000000000000001")]
    [InlineData("""{"discord":"tok","server":"1200000000000000001","channel":"99999999999999999999"}""", "Required param channel (99999999999999999999) is not valid Discord channel id")]
    [InlineData("""{"discord":"tok","server":"18446744073709551616","channel":"1100000000000000001"}""", "Required param server (18446744073709551616) is not valid Discord server id")]
    [InlineData("not json", "Required param discord is missing or empty")]
    public async Task Bad_account_bodies_get_the_exact_400(string body, string error)
    {
        var response = await _server.Client.PostAsync($"account/{Channel}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var json = await response.JsonAsync();
        Assert.Equal(error, (string?)json["error"]);
        Assert.Equal(400, (int?)json["code"]);
    }

    [Fact]
    public async Task Create_read_list_delete_with_the_token_masked()
    {
        var created = await Post(Channel, new { discord = "MTAxSecretDiscordTokenXyZ", server = Server, channel = Channel });
        Assert.Equal(HttpStatusCode.NoContent, created.StatusCode);

        var one = await (await _server.Client.GetAsync($"account/{Channel}")).JsonAsync();
        Assert.Equal("MTA…secured…XyZ", (string?)one["discord"]);
        Assert.Equal(Server, (string?)one["server"]);
        Assert.Equal("discord", (string?)one["engine"]);

        var all = await (await _server.Client.GetAsync("account")).JsonAsync();
        Assert.Equal(Channel, (string?)all[Channel]!["channel"]);
        Assert.DoesNotContain("SecretDiscordToken", all.ToJsonString());

        Assert.Equal(HttpStatusCode.NoContent, (await _server.Client.DeleteAsync($"account/{Channel}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Client.GetAsync($"account/{Channel}")).StatusCode);
    }

    [Fact]
    public async Task Same_discord_or_server_on_another_channel_is_refused()
    {
        const string other = "1100000000000000002";
        await Post(Channel, new { discord = "token-one-abc", server = Server, channel = Channel });
        var sameDiscord = await (await Post(other, new { discord = "token-one-abc", server = "1200000000000000002", channel = other })).JsonAsync();
        Assert.Equal($"Channel {Channel} configuration has same discord value", (string?)sameDiscord["error"]);
        var sameServer = await (await Post(other, new { discord = "token-two-abc", server = Server, channel = other })).JsonAsync();
        Assert.Equal($"Channel {Channel} configuration has same server value", (string?)sameServer["error"]);
        // Updating the channel itself with its own values is fine.
        Assert.Equal(HttpStatusCode.NoContent, (await Post(Channel, new { discord = "token-one-abc", server = Server, channel = Channel })).StatusCode);
    }

    [Fact]
    public async Task Discord_token_is_encrypted_at_rest()
    {
        await Post(Channel, new { discord = "PlainDiscordTokenMustNotBeStored", server = Server, channel = Channel });
        await _server.App.StopAsync();
        var text = await _server.StoredTextAsync();
        Assert.Contains(Channel, text);
        Assert.DoesNotContain("PlainDiscordTokenMustNotBeStored", text);
    }

    [Fact]
    public async Task A_local_channel_needs_no_discord()
    {
        var created = await Post("studio", new { engine = "local" });
        Assert.Equal(HttpStatusCode.NoContent, created.StatusCode);
        var one = await (await _server.Client.GetAsync("account/studio")).JsonAsync();
        Assert.Equal("local", (string?)one["engine"]);
        Assert.Null(one["discord"]);
    }

    [Fact]
    public async Task A_json_body_led_by_a_byte_order_mark_is_read()
    {
        // RFC 8259 §8.1 lets a parser ignore a byte order mark, and some clients send one.
        var body = new ByteArrayContent([0xEF, 0xBB, 0xBF, .. """{"engine":"local"}"""u8.ToArray()]);
        body.Headers.ContentType = new("application/json");
        Assert.Equal(HttpStatusCode.NoContent, (await _server.Client.PostAsync("account/studio", body)).StatusCode);
        Assert.Equal("local", (string?)(await (await _server.Client.GetAsync("account/studio")).JsonAsync())["engine"]);
    }

    [Fact]
    public async Task Users_never_see_each_others_accounts()
    {
        await Post(Channel, new { discord = "token-one-abc", server = Server, channel = Channel });
        var (_, token) = await _server.AddUserAsync("other");
        using var other = _server.CreateClient(token);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"account/{Channel}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync("account")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.DeleteAsync($"account/{Channel}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _server.Client.GetAsync($"account/{Channel}")).StatusCode);
    }
}
