using System.Net;
using System.Text.Json.Nodes;
using static FaceSwap.Sandbox.Tests.TestDiscord;

namespace FaceSwap.Sandbox.Tests;

/// <summary>Get Channel Messages and Get Channel Message, as developers/resources/message.mdx describes them.</summary>
public sealed class HistoryTests
{
    private static async Task<(TestDiscord Discord, List<string> Ids)> ChannelWithMessagesAsync(int count)
    {
        var discord = await StartAsync(Unlimited);
        var ids = Enumerable.Range(0, count)
            .Select(i => discord.Server.State.PostUserMessage(Token, ChannelId, $"m{i}").Id.ToString())
            .ToList();
        return (discord, ids);
    }

    private static async Task<List<string>> PageAsync(TestDiscord discord, string query) =>
        (await discord.GetJsonAsync($"channels/{ChannelId}/messages{query}")).AsArray().Select(m => (string)m!["id"]!).ToList();

    [Fact]
    public async Task Default_page_is_the_newest_fifty_newest_first()
    {
        var (discord, ids) = await ChannelWithMessagesAsync(60);
        await using var _ = discord;
        Assert.Equal(ids.AsEnumerable().Reverse().Take(50), await PageAsync(discord, ""));
        Assert.Equal(ids.AsEnumerable().Reverse().Take(100), await PageAsync(discord, "?limit=100"));
    }

    [Fact]
    public async Task After_before_and_around_pages_are_newest_first()
    {
        var (discord, ids) = await ChannelWithMessagesAsync(9);
        await using var _ = discord;
        // after: the limit messages right after the id, still newest first.
        Assert.Equal(new[] { ids[4], ids[3], ids[2] }, await PageAsync(discord, $"?after={ids[1]}&limit=3"));
        Assert.Equal(ids.Skip(7).Reverse(), await PageAsync(discord, $"?after={ids[6]}"));
        Assert.Empty(await PageAsync(discord, $"?after={ids[8]}"));
        // before: the newest messages older than the id.
        Assert.Equal(new[] { ids[4], ids[3] }, await PageAsync(discord, $"?before={ids[5]}&limit=2"));
        Assert.Empty(await PageAsync(discord, $"?before={ids[0]}"));
        // around: the message itself with its neighbours.
        Assert.Equal(new[] { ids[5], ids[4], ids[3] }, await PageAsync(discord, $"?around={ids[4]}&limit=3"));
        // 0 works as "the beginning of time" (reference.mdx, "Snowflake IDs in Pagination").
        Assert.Equal(new[] { ids[1], ids[0] }, await PageAsync(discord, "?after=0&limit=2"));
    }

    [Theory]
    [InlineData("?limit=0")]
    [InlineData("?limit=101")]
    [InlineData("?limit=ten")]
    [InlineData("?after=abc")]
    [InlineData("?after=1&before=2")]
    [InlineData("?around=1&after=2")]
    public async Task Bad_paging_answers_400_invalid_form_body(string query)
    {
        await using var discord = await StartAsync(Unlimited);
        using var response = await discord.Http.GetAsync($"channels/{ChannelId}/messages{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(50035, (int)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]!);
    }

    [Fact]
    public async Task One_message_by_id_or_404_unknown_message()
    {
        var (discord, ids) = await ChannelWithMessagesAsync(3);
        await using var _ = discord;
        var message = await discord.GetJsonAsync($"channels/{ChannelId}/messages/{ids[1]}");
        Assert.Equal(ids[1], (string)message["id"]!);
        Assert.Equal("m1", (string)message["content"]!);

        using (var response = await discord.Http.GetAsync($"channels/{ChannelId}/messages/1234567890123456789"))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("""{"message":"Unknown Message","code":10008}""", await response.Content.ReadAsStringAsync());
        }
        using (var notASnowflake = await discord.Http.GetAsync($"channels/{ChannelId}/messages/abc"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, notASnowflake.StatusCode);
            Assert.Equal(50035, (int)JsonNode.Parse(await notASnowflake.Content.ReadAsStringAsync())!["code"]!);
        }
        using var otherChannel = await discord.Http.GetAsync($"channels/1999999999999999999/messages/{ids[1]}");
        Assert.Equal(HttpStatusCode.NotFound, otherChannel.StatusCode);
        Assert.Equal(10003, (int)JsonNode.Parse(await otherChannel.Content.ReadAsStringAsync())!["code"]!);
    }

    [Fact]
    public async Task Single_message_route_has_its_own_rate_limit_bucket_per_channel()
    {
        await using var discord = await StartAsync(o => o.RateLimits[SandboxRoutes.GetMessage] = new(2, TimeSpan.FromSeconds(5)));
        var id = discord.Server.State.PostUserMessage(Token, ChannelId, "x").Id;
        for (int i = 0; i < 2; i++)
        {
            using var ok = await discord.Http.GetAsync($"channels/{ChannelId}/messages/{id}");
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal((1 - i).ToString(), ok.Headers.GetValues("X-RateLimit-Remaining").Single());
        }
        using var limited = await discord.Http.GetAsync($"channels/{ChannelId}/messages/{id}");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        using var page = await discord.Http.GetAsync($"channels/{ChannelId}/messages");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task A_created_message_echoes_its_nonce_but_history_never_does()
    {
        await using var discord = await StartAsync(Unlimited);
        using var created = await discord.Http.PostAsync($"channels/{ChannelId}/messages",
            new StringContent("""{"content":"hello","nonce":"1234567890"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var answer = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        Assert.Equal("1234567890", (string)answer["nonce"]!);

        var read = await discord.GetJsonAsync($"channels/{ChannelId}/messages/{(string)answer["id"]!}");
        Assert.False(read.AsObject().ContainsKey("nonce"));
        Assert.False((await discord.GetJsonAsync($"channels/{ChannelId}/messages")).AsArray().Single()!.AsObject().ContainsKey("nonce"));
    }
}
