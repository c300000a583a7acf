using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace FaceSwap.Sandbox.Tests;

public sealed class ApiShapeTests
{
    [Fact]
    public async Task Current_user_answers_id_username_and_global_name_with_rate_limit_headers()
    {
        await using var discord = await TestDiscord.StartAsync();
        using var response = await discord.Http.GetAsync("users/@me");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var user = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(discord.UserId, (string)user["id"]!);
        Assert.Equal("tester", (string)user["username"]!);
        Assert.True(user.AsObject().ContainsKey("global_name"));
        foreach (var header in new[] { "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Reset-After", "X-RateLimit-Bucket" })
            Assert.True(response.Headers.Contains(header), header);
        Assert.Equal("4", response.Headers.GetValues("X-RateLimit-Remaining").Single());
    }

    [Fact]
    public async Task Unknown_token_answers_Discords_401_on_every_route()
    {
        await using var discord = await TestDiscord.StartAsync();
        using var stranger = TestDiscord.ApiClient(discord.Server, "not-a-token");

        foreach (var path in new[] { "users/@me", $"channels/{TestDiscord.ChannelId}/messages", $"guilds/{TestDiscord.GuildId}/application-command-index" })
        {
            using var response = await stranger.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("""{"message":"401: Unauthorized","code":0}""", await response.Content.ReadAsStringAsync());
        }
        using var anonymous = TestDiscord.ApiClient(discord.Server, token: null);
        using var missing = await anonymous.GetAsync("users/@me");
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
    }

    [Fact]
    public async Task Request_without_a_user_agent_is_blocked_with_40333()
    {
        // reference.mdx, "User Agent": clients must send one; without it requests "may be blocked".
        await using var discord = await TestDiscord.StartAsync();
        using var bare = new HttpClient();
        bare.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", TestDiscord.Token);
        using var response = await bare.GetAsync(discord.Server.ApiBaseUrl + "/users/@me");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(40333, (int)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]!);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData(null)]
    public async Task Body_without_a_valid_content_type_answers_400_50035(string? contentType)
    {
        // reference.mdx, "Content Type": application/json, x-www-form-urlencoded or multipart/form-data, else 50035.
        await using var discord = await TestDiscord.StartAsync(TestDiscord.Unlimited);
        var body = await discord.InteractionBodyAsync("listid");
        var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()));
        if (contentType is not null) content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        using var response = await discord.Http.PostAsync("interactions", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(50035, (int)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]!);
        Assert.Equal(0, discord.Server.UnansweredInteractions);
        Assert.Empty(discord.Server.State.Messages(TestDiscord.ChannelId));
    }

    [Fact]
    public async Task Command_index_lists_every_InsightFaceSwap_command_with_ids_versions_and_options()
    {
        await using var discord = await TestDiscord.StartAsync();
        var index = await discord.GetJsonAsync($"guilds/{TestDiscord.GuildId}/application-command-index");

        Assert.Equal("1090660574196674713", (string)index["applications"]![0]!["id"]!);
        var commands = index["application_commands"]!.AsArray().Select(c => c!.AsObject()).ToList();
        Assert.Equal(
            new[] { "saveid", "setid", "listid", "delid", "delall", "swapid", "picsi", "changebg", "headshot", "INSwapper" }.Order(),
            commands.Select(c => (string)c["name"]!).Order());
        Assert.All(commands, c =>
        {
            Assert.Matches("^[0-9]{17,20}$", (string)c["id"]!);
            Assert.Matches("^[0-9]{17,20}$", (string)c["version"]!);
            Assert.Equal("1090660574196674713", (string)c["application_id"]!);
        });
        var swapid = commands.Single(c => (string)c["name"]! == "swapid");
        Assert.Equal(1, (int)swapid["type"]!);
        var options = swapid["options"]!.AsArray();
        Assert.Equal(("idname", 3, true), ((string)options[0]!["name"]!, (int)options[0]!["type"]!, (bool)options[0]!["required"]!));
        Assert.Equal(("image", 11, true), ((string)options[1]!["name"]!, (int)options[1]!["type"]!, (bool)options[1]!["required"]!));
        Assert.Equal(3, (int)commands.Single(c => (string)c["name"]! == "INSwapper")["type"]!);
        var picsi = commands.Single(c => (string)c["name"]! == "picsi")["options"]!.AsArray();
        Assert.False((bool)picsi[2]!["required"]!);
    }

    [Fact]
    public async Task Command_index_of_a_guild_the_user_is_not_in_answers_403()
    {
        await using var discord = await TestDiscord.StartAsync();
        using var response = await discord.Http.GetAsync("guilds/1200000000000000000/application-command-index");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(50001, (int)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]!);
    }

    [Fact]
    public async Task Upload_reserves_an_unguessable_url_that_takes_a_put_once()
    {
        await using var discord = await TestDiscord.StartAsync();
        using var reserve = await discord.Http.PostAsJsonAsync($"channels/{TestDiscord.ChannelId}/attachments",
            new { files = new[] { new { id = "0", filename = "a.png", file_size = 10 } } });
        var slot = JsonNode.Parse(await reserve.Content.ReadAsStringAsync())!["attachments"]![0]!;

        Assert.Equal(0, (int)slot["id"]!);
        string uploadUrl = (string)slot["upload_url"]!;
        Assert.StartsWith(discord.Server.Origin.ToString(), uploadUrl);
        Assert.Matches("^[0-9a-f-]{36}/a.png$", (string)slot["upload_filename"]!);

        using var client = new HttpClient();
        using var put = await client.PutAsync(uploadUrl, new ByteArrayContent(new byte[10]));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Empty(await put.Content.ReadAsByteArrayAsync());

        using var guessed = await client.PutAsync(discord.Server.Origin + "_uploads/0123456789abcdef", new ByteArrayContent(new byte[10]));
        Assert.Equal(HttpStatusCode.NotFound, guessed.StatusCode);
    }

    [Fact]
    public async Task Upload_larger_than_the_limit_answers_413_and_missing_files_400()
    {
        await using var discord = await TestDiscord.StartAsync(o => o.MaxUploadBytes = 1000);
        using var tooBig = await discord.Http.PostAsJsonAsync($"channels/{TestDiscord.ChannelId}/attachments",
            new { files = new[] { new { id = "0", filename = "a.png", file_size = 1001 } } });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.StatusCode);
        Assert.Equal(40005, (int)JsonNode.Parse(await tooBig.Content.ReadAsStringAsync())!["code"]!);

        using var empty = await discord.Http.PostAsJsonAsync($"channels/{TestDiscord.ChannelId}/attachments", new { files = Array.Empty<object>() });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal(50035, (int)JsonNode.Parse(await empty.Content.ReadAsStringAsync())!["code"]!);
    }

    [Fact]
    public async Task Unknown_channel_answers_404_10003()
    {
        await using var discord = await TestDiscord.StartAsync();
        using var response = await discord.Http.GetAsync("channels/1300000000000000000/messages");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(10003, (int)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]!);
    }

    [Fact]
    public async Task Messages_page_newest_first_with_after_before_and_limit()
    {
        await using var discord = await TestDiscord.StartAsync();
        var posted = Enumerable.Range(0, 5)
            .Select(i => discord.Server.State.PostUserMessage(TestDiscord.Token, TestDiscord.ChannelId, $"m{i}").Id.ToString())
            .ToList();

        var all = (await discord.GetJsonAsync($"channels/{TestDiscord.ChannelId}/messages")).AsArray();
        Assert.Equal(posted.AsEnumerable().Reverse(), all.Select(m => (string)m!["id"]!));

        var after = (await discord.GetJsonAsync($"channels/{TestDiscord.ChannelId}/messages?after={posted[1]}&limit=2")).AsArray();
        Assert.Equal(new[] { posted[3], posted[2] }, after.Select(m => (string)m!["id"]!));

        var before = (await discord.GetJsonAsync($"channels/{TestDiscord.ChannelId}/messages?before={posted[3]}&limit=2")).AsArray();
        Assert.Equal(new[] { posted[2], posted[1] }, before.Select(m => (string)m!["id"]!));

        using var badLimit = await discord.Http.GetAsync($"channels/{TestDiscord.ChannelId}/messages?limit=101");
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
        using var badId = await discord.Http.GetAsync($"channels/{TestDiscord.ChannelId}/messages?after=abc");
        Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);
    }

    [Fact]
    public async Task Message_objects_have_Discords_fields_and_timestamp_format()
    {
        await using var discord = await TestDiscord.StartAsync();
        discord.Server.State.PostUserMessage(TestDiscord.Token, TestDiscord.ChannelId, "hello", new SandboxFile("face.png", TestImages.Face(40, 30)));

        var message = (await discord.GetJsonAsync($"channels/{TestDiscord.ChannelId}/messages?limit=1"))[0]!.AsObject();
        Assert.Equal(0, (int)message["type"]!);
        Assert.Equal("hello", (string)message["content"]!);
        Assert.Equal(TestDiscord.ChannelId, (string)message["channel_id"]!);
        Assert.Equal(discord.UserId, (string)message["author"]!["id"]!);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$", (string)message["timestamp"]!);
        Assert.True(message.ContainsKey("edited_timestamp"));
        Assert.Null(message["edited_timestamp"]);
        var attachment = message["attachments"]![0]!;
        Assert.Equal(("face.png", "image/png", 40, 30), ((string)attachment["filename"]!, (string)attachment["content_type"]!, (int)attachment["width"]!, (int)attachment["height"]!));
        Assert.Equal(TestImages.Face(40, 30).Length, (long)attachment["size"]!);
        Assert.Matches("^[0-9]+$", (string)attachment["id"]!);
    }

    [Fact]
    public async Task Snowflakes_increase_and_carry_the_message_time()
    {
        await using var discord = await TestDiscord.StartAsync();
        var ids = Enumerable.Range(0, 2000).Select(_ => discord.Server.State.Ids.Next()).ToList();
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(discord.Clock.GetUtcNow(), Discord.SnowflakeGenerator.TimestampOf(ids[0]));
        discord.Clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(discord.Clock.GetUtcNow(), Discord.SnowflakeGenerator.TimestampOf(discord.Server.State.Ids.Next()));
    }

    [Fact]
    public async Task Attachment_links_serve_the_file_and_reject_a_forged_signature()
    {
        await using var discord = await TestDiscord.StartAsync();
        var png = TestImages.Face();
        discord.Server.State.PostUserMessage(TestDiscord.Token, TestDiscord.ChannelId, "", new SandboxFile("face.png", png));
        var attachment = (await discord.GetJsonAsync($"channels/{TestDiscord.ChannelId}/messages?limit=1"))[0]!["attachments"]![0]!;

        using var cdn = new HttpClient(); // no Authorization: the CDN does not take one
        Assert.Equal(png, await cdn.GetByteArrayAsync((string)attachment["url"]!));
        Assert.Equal(png, await cdn.GetByteArrayAsync((string)attachment["proxy_url"]!));
        Assert.Contains("/media/attachments/", (string)attachment["proxy_url"]!);

        string forged = Regex.Replace((string)attachment["url"]!, "hm=[0-9a-f]+", "hm=" + new string('0', 64));
        using var response = await cdn.GetAsync(forged);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Unknown_api_route_answers_Discords_404()
    {
        await using var discord = await TestDiscord.StartAsync();
        using var response = await discord.Http.GetAsync("gateway/nothing");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("""{"message":"404: Not Found","code":0}""", await response.Content.ReadAsStringAsync());
    }
}
