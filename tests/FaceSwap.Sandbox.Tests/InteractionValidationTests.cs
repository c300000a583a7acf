using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using static FaceSwap.Sandbox.Tests.TestDiscord;

namespace FaceSwap.Sandbox.Tests;

public sealed class InteractionValidationTests
{
    private static async Task<JsonNode> ErrorOf(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    [Fact]
    public async Task Unknown_command_id_answers_400_invalid_form_body()
    {
        await using var discord = await StartAsync(Unlimited);
        var body = await discord.InteractionBodyAsync("listid");
        body["data"]!["id"] = "1000000000000000000";
        var error = await ErrorOf(await discord.PostInteractionAsync(body), HttpStatusCode.BadRequest);
        Assert.Equal(50035, (int)error["code"]!);
        Assert.Equal("Invalid Form Body", (string)error["message"]!);
        Assert.Equal("INTERACTION_APPLICATION_COMMAND_INVALID", (string)error["errors"]!["data"]!["_errors"]![0]!["code"]!);
    }

    [Fact]
    public async Task Stale_version_after_the_bot_republishes_answers_400_outdated()
    {
        await using var discord = await StartAsync(Unlimited);
        var body = await discord.InteractionBodyAsync("listid");
        var stale = body["data"]!.AsObject();
        string oldId = (string)stale["id"]!;
        discord.Server.State.Commands.Republish();

        var renamed = await discord.CommandAsync("listid", refresh: true);
        Assert.NotEqual(oldId, (string)renamed["id"]!);
        stale["id"] = (string)renamed["id"]!; // the new id with the old version
        var error = await ErrorOf(await discord.PostInteractionAsync(body), HttpStatusCode.BadRequest);
        Assert.Equal("INTERACTION_APPLICATION_COMMAND_INVALID_VERSION", (string)error["errors"]!["data"]!["_errors"]![0]!["code"]!);
        Assert.Equal("This command is outdated, please try again in a few minutes", (string)error["errors"]!["data"]!["_errors"]![0]!["message"]!);
    }

    [Fact]
    public async Task Unknown_upload_answers_400_and_an_upload_is_used_once()
    {
        await using var discord = await StartAsync(Unlimited);
        var body = await discord.InteractionBodyAsync("saveid", new Option("idname", "me"), new Option("image", File: ("a.png", TestImages.Face())));
        using (var first = await discord.PostInteractionAsync(body)) Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);

        body["nonce"] = discord.Server.State.Ids.Next().ToString();
        var reused = await ErrorOf(await discord.PostInteractionAsync(body), HttpStatusCode.BadRequest);
        Assert.Equal(50035, (int)reused["code"]!);
        Assert.NotNull(reused["errors"]!["data"]!["attachments"]!["0"]!["uploaded_filename"]!["_errors"]);

        body["data"]!["attachments"]![0]!["uploaded_filename"] = $"{Guid.NewGuid()}/a.png";
        await ErrorOf(await discord.PostInteractionAsync(body), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Missing_required_option_answers_400()
    {
        await using var discord = await StartAsync(Unlimited);
        var body = await discord.InteractionBodyAsync("swapid", new Option("idname", "me"));
        var error = await ErrorOf(await discord.PostInteractionAsync(body), HttpStatusCode.BadRequest);
        Assert.Equal(50035, (int)error["code"]!);
        Assert.NotNull(error["errors"]!["data"]!["options"]);
    }

    [Fact]
    public async Task Channel_of_another_guild_answers_403_and_wrong_guild_id_400()
    {
        await using var discord = await StartAsync(Unlimited);
        discord.Server.State.AddAccount("other-token", "1400000000000000001", "1400000000000000002");
        var body = await discord.InteractionBodyAsync("listid");
        body["channel_id"] = "1400000000000000002";
        body["guild_id"] = "1400000000000000001";
        var forbidden = await ErrorOf(await discord.PostInteractionAsync(body), HttpStatusCode.Forbidden);
        Assert.Equal(50001, (int)forbidden["code"]!);

        var mismatch = await discord.InteractionBodyAsync("listid");
        mismatch["guild_id"] = "1400000000000000001";
        await ErrorOf(await discord.PostInteractionAsync(mismatch), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Bad_nonce_and_non_json_bodies_answer_400()
    {
        await using var discord = await StartAsync(Unlimited);
        var body = await discord.InteractionBodyAsync("listid");
        body["nonce"] = "not-a-snowflake";
        await ErrorOf(await discord.PostInteractionAsync(body), HttpStatusCode.BadRequest);

        using var garbage = await discord.Http.PostAsync("interactions", new StringContent("{not json", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
    }

    [Fact]
    public async Task Multipart_with_payload_json_is_accepted_including_inline_files()
    {
        await using var discord = await StartAsync(Unlimited);
        var body = await discord.InteractionBodyAsync("saveid", new Option("idname", "me"));
        body["data"]!["options"]!.AsArray().Add(new JsonObject { ["type"] = 11, ["name"] = "image", ["value"] = 0 });
        body["data"]!["attachments"] = new JsonArray(new JsonObject { ["id"] = "0", ["filename"] = "face.png" });

        using var form = new MultipartFormDataContent();
        form.Add(new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), "payload_json");
        var file = new ByteArrayContent(TestImages.Face());
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "files[0]", "face.png");
        using var response = await discord.Http.PostAsync("interactions", form);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("idname me created", (string)(await discord.WaitForReplyAsync((string)body["nonce"]!))["content"]!);
    }

    [Fact]
    public async Task Posting_a_message_with_an_uploaded_file_makes_an_INSwapper_target()
    {
        await using var discord = await StartAsync(Unlimited);
        string uploaded = await discord.UploadAsync("t.png", TestImages.Face());
        var payload = new JsonObject
        {
            ["content"] = "target",
            ["attachments"] = new JsonArray(new JsonObject { ["id"] = "0", ["filename"] = "t.png", ["uploaded_filename"] = uploaded }),
        };
        using var response = await discord.Http.PostAsync($"channels/{ChannelId}/messages", new StringContent(payload.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var message = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(discord.UserId, (string)message["author"]!["id"]!);
        Assert.Equal("t.png", (string)message["attachments"]![0]!["filename"]!);
    }
}
