using System.Net;
using System.Net.Http.Json;
using FaceSwap.Core.Storage;
using FaceSwap.Sandbox;
using FaceSwap.Server.Tests.Infrastructure;

namespace FaceSwap.Server.Tests;

/// <summary>
/// The in-process sandbox's wiring: the bootstrap user's channel has a random token kept across restarts, and every
/// other user who asks (POST /account/{channel} {"sandbox": true}) gets a channel and token of their own.
/// </summary>
public sealed class SandboxChannelTests
{
    private static Dictionary<string, string?> Enabled() => new()
    {
        ["FaceSwap:Sandbox:Enabled"] = "true",
        ["FaceSwap:Sandbox:OtherTraffic"] = "0",
    };

    private static HttpClient DiscordClient(SandboxServer sandbox, string token)
    {
        var client = new HttpClient { BaseAddress = new Uri(sandbox.ApiBaseUrl + "/") };
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", token);
        client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", "FaceSwapServerTests (https://example.invalid, 1.0)");
        return client;
    }

    [Fact]
    public async Task Bootstrap_channel_gets_a_random_token_that_survives_a_restart()
    {
        string dataDir = Path.Combine(Path.GetTempPath(), "faceswap-tests", Guid.NewGuid().ToString("N"));
        string token;
        await using (var server = await RunningServer.StartAsync(Enabled(), dataDir: dataDir))
        {
            var account = await server.Service<IAccountStore>().GetAsync(await server.BootstrapUserIdAsync(), SandboxedServer.Channel, CancellationToken.None);
            token = account!.DiscordToken!;
            Assert.StartsWith("sandbox.", token);
            Assert.True(token.Length > 40);
            Assert.Equal(token, server.Sandbox().State.TokenFor(SandboxedServer.Channel));
        }
        await using var again = await RunningServer.StartAsync(Enabled(), dataDir: dataDir);
        using var discord = DiscordClient(again.Sandbox(), token);
        using var messages = await discord.GetAsync($"channels/{SandboxedServer.Channel}/messages");
        Assert.Equal(HttpStatusCode.OK, messages.StatusCode);
    }

    [Fact]
    public async Task Each_user_who_asks_gets_a_sandbox_channel_no_other_token_can_use()
    {
        await using var server = await RunningServer.StartAsync(Enabled());
        var (bob, bobToken) = await server.AddUserAsync("bob");
        using var bobApi = server.CreateClient(bobToken);
        const string bobChannel = "1300000000000000001";

        using (var created = await bobApi.PostAsJsonAsync($"account/{bobChannel}", new { sandbox = true }))
            Assert.Equal(HttpStatusCode.NoContent, created.StatusCode);
        var view = await (await bobApi.GetAsync($"account/{bobChannel}")).JsonAsync();
        Assert.Equal("discord", (string)view["engine"]!);
        var stored = await server.Service<IAccountStore>().GetAsync(bob.Id, bobChannel, CancellationToken.None);
        string bobDiscord = stored!.DiscordToken!;
        Assert.DoesNotContain(bobDiscord, view.ToJsonString()); // masked, never returned whole
        using (var again = await bobApi.PostAsJsonAsync($"account/{bobChannel}", new { sandbox = true }))
            Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        Assert.Equal(bobDiscord, (await server.Service<IAccountStore>().GetAsync(bob.Id, bobChannel, CancellationToken.None))!.DiscordToken);

        // Bob's token works on his channel and is refused on the bootstrap user's, as Discord refuses (403 50001).
        var sandbox = server.Sandbox();
        using var bobDiscordClient = DiscordClient(sandbox, bobDiscord);
        using (var own = await bobDiscordClient.GetAsync($"channels/{bobChannel}/messages")) Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        using (var foreign = await bobDiscordClient.GetAsync($"channels/{SandboxedServer.Channel}/messages"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
            Assert.Equal(50001, (int)(await foreign.JsonAsync())["code"]!);
        }
        Assert.NotEqual(sandbox.State.FindChannel(bobChannel)!.GuildId, sandbox.State.FindChannel(SandboxedServer.Channel)!.GuildId);

        // Nobody else can take that channel id, or the bootstrap's.
        var (_, carolToken) = await server.AddUserAsync("carol");
        using var carolApi = server.CreateClient(carolToken);
        foreach (var taken in new[] { bobChannel, SandboxedServer.Channel })
        {
            using var refused = await carolApi.PostAsJsonAsync($"account/{taken}", new { sandbox = true });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal($"Channel {taken} is taken in the sandbox", (string)(await refused.JsonAsync())["error"]!);
        }
        using var badId = await carolApi.PostAsJsonAsync("account/not-a-snowflake", new { sandbox = true });
        Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);
    }

    /// <summary>A snowflake is an unsigned 64-bit number: 20 digits past its range are no channel id, a 400 rather than a 500.</summary>
    [Fact]
    public async Task A_sandbox_channel_id_past_the_snowflake_range_is_400_and_nothing_is_stored()
    {
        await using var server = await RunningServer.StartAsync(Enabled());
        foreach (var channel in new[] { "18446744073709551616", "99999999999999999999" })
        {
            using var refused = await server.Client.PostAsJsonAsync($"account/{channel}", new { sandbox = true });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var error = await refused.JsonAsync();
            Assert.Equal($"Required param channel ({channel}) is not valid Discord channel id", (string?)error["error"]);
            Assert.Equal(400, (int?)error["code"]);
            Assert.Null(await server.Service<IAccountStore>().GetAsync(await server.BootstrapUserIdAsync(), channel, CancellationToken.None));
            Assert.Null(server.Sandbox().State.FindChannel(channel));
        }
        // The largest snowflake is one.
        using var largest = await server.Client.PostAsJsonAsync("account/18446744073709551615", new { sandbox = true });
        Assert.Equal(HttpStatusCode.NoContent, largest.StatusCode);
    }

    [Fact]
    public async Task Asking_for_a_sandbox_channel_without_the_sandbox_answers_400()
    {
        await using var server = await RunningServer.StartAsync();
        using var response = await server.Client.PostAsJsonAsync("account/1300000000000000001", new { sandbox = true });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("The sandbox is not enabled on this server", (string)(await response.JsonAsync())["error"]!);
    }
}
