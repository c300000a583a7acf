using System.Net;
using System.Text.Json.Nodes;
using static FaceSwap.Sandbox.Tests.TestDiscord;

namespace FaceSwap.Sandbox.Tests;

public sealed class BotCommandTests
{
    private static Option Image(string name, byte[] bytes, string filename = "a.png") => new(name, File: (filename, bytes));
    private static Option Text(string name, string value) => new(name, Text: value);

    [Fact]
    public async Task Saveid_replies_created_then_updated_as_the_bots_response_with_documented_interaction_metadata()
    {
        await using var discord = await StartAsync(Unlimited);
        string sent = await discord.SendAsync("saveid", Text("idname", "me"), Image("image", TestImages.Face()));
        var reply = await discord.WaitForReplyAsync(sent);

        Assert.Equal("idname me created", (string)reply["content"]!);
        Assert.Equal(20, (int)reply["type"]!);
        Assert.Equal("1090660574196674713", (string)reply["author"]!["id"]!);
        Assert.True((bool)reply["author"]!["bot"]!);
        Assert.Equal("1090660574196674713", (string)reply["application_id"]!);
        Assert.Equal("1090660574196674713", (string)reply["webhook_id"]!);
        Assert.Empty(reply["attachments"]!.AsArray());
        // History never carries the interaction's nonce (message.mdx: only the create answer and MESSAGE_CREATE do).
        Assert.False(reply.ContainsKey("nonce"));
        // interaction_metadata as message.mdx documents it: id, type 2, user {id, …}; no name, no user_id.
        var metadata = reply["interaction_metadata"]!.AsObject();
        Assert.Equal(2, (int)metadata["type"]!);
        Assert.Equal(discord.UserId, (string)metadata["user"]!["id"]!);
        Assert.Equal("tester", (string)metadata["user"]!["username"]!);
        Assert.Matches("^[0-9]+$", (string)metadata["id"]!);
        Assert.NotEqual(sent, (string)metadata["id"]!);
        Assert.False(metadata.ContainsKey("name"));
        Assert.False(metadata.ContainsKey("user_id"));
        Assert.False(metadata.ContainsKey("original_response_message_id"));
        Assert.Equal(TestDiscord.GuildId, (string)metadata["authorizing_integration_owners"]!["0"]!);
        // The deprecated interaction object still names the command (receiving-and-responding.mdx).
        var interaction = reply["interaction"]!;
        Assert.Equal((string)metadata["id"]!, (string)interaction["id"]!);
        Assert.Equal("saveid", (string)interaction["name"]!);
        Assert.Equal(discord.UserId, (string)interaction["user"]!["id"]!);

        string again = await discord.SendAsync("saveid", Text("idname", "me"), Image("image", TestImages.Face(seed: 2)));
        var updated = await discord.WaitForReplyAsync(again);
        Assert.Equal("idname me updated", (string)updated["content"]!);
        Assert.NotEqual((string)metadata["id"]!, (string)updated["interaction_metadata"]!["id"]!);
    }

    [Fact]
    public async Task Only_the_bot_replies_the_user_writes_no_message_of_its_own()
    {
        await using var discord = await StartAsync(Unlimited);
        string nonce = await discord.SendAsync("listid");
        await discord.WaitForReplyAsync(nonce);
        var messages = await discord.MessagesAsync();
        Assert.Single(messages);
        Assert.Equal("1090660574196674713", (string)messages[0]["author"]!["id"]!);
    }

    [Theory]
    [InlineData("my name")]
    [InlineData("abcdefghijk")]
    [InlineData("me!")]
    public async Task Saveid_with_a_bad_name_replies_a_text_without_attachments(string name)
    {
        await using var discord = await StartAsync(Unlimited);
        string nonce = await discord.SendAsync("saveid", Text("idname", name), Image("image", TestImages.Face()));
        var reply = await discord.WaitForReplyAsync(nonce);
        Assert.Equal($"Invalid idname '{name}': an idname can only contain letters and numbers and cannot exceed 10 characters.", (string)reply["content"]!);
        Assert.Empty(discord.Server.State.FindChannel(ChannelId)!.SavedIds.Names);
    }

    [Fact]
    public async Task Saveid_of_an_image_without_a_face_replies_no_face_and_costs_nothing()
    {
        await using var discord = await StartAsync(Unlimited);
        string nonce = await discord.SendAsync("saveid", Text("idname", "me"), Image("image", TestImages.Blank()));
        var reply = await discord.WaitForReplyAsync(nonce);
        Assert.Equal("No face detected in the image. Please use a clear, front-view photo of a face.", (string)reply["content"]!);
        Assert.Equal(50, discord.Server.State.Credits.Left(discord.UserId));
    }

    [Fact]
    public async Task Saveid_keeps_at_most_20_ids_but_still_updates_an_existing_one()
    {
        await using var discord = await StartAsync(Unlimited);
        for (int i = 0; i < 20; i++)
            await discord.SendAsync("saveid", Text("idname", $"id{i}"), Image("image", TestImages.Face()));
        string over = await discord.SendAsync("saveid", Text("idname", "id20"), Image("image", TestImages.Face()));
        Assert.Equal("You already have 20 saved idnames, the maximum. Delete some with /delid or /delall first.",
            (string)(await discord.WaitForReplyAsync(over))["content"]!);

        string update = await discord.SendAsync("saveid", Text("idname", "id7"), Image("image", TestImages.Face()));
        Assert.Equal("idname id7 updated", (string)(await discord.WaitForReplyAsync(update))["content"]!);
        Assert.Equal(20, discord.Server.State.FindChannel(ChannelId)!.SavedIds.Names.Count);
    }

    [Fact]
    public async Task Swapid_replies_with_SaveID_token_and_a_result_image_unlike_the_target()
    {
        await using var discord = await StartAsync(Unlimited);
        await discord.WaitForReplyAsync(await discord.SendAsync("saveid", Text("idname", "me"), Image("image", TestImages.Face(seed: 3))));
        var target = TestImages.Face(200, 120, seed: 5);
        string nonce = await discord.SendAsync("swapid", Text("idname", "me"), Image("image", target, "target.png"));
        var reply = await discord.WaitForReplyAsync(nonce);

        Assert.Equal($"<@{discord.UserId}> [SaveID: 'me'] (48/50 credits remaining)", (string)reply["content"]!);
        var attachment = reply["attachments"]![0]!;
        Assert.Equal("image/png", (string)attachment["content_type"]!);
        Assert.Equal((200, 120), ((int)attachment["width"]!, (int)attachment["height"]!));
        var result = await new HttpClient().GetByteArrayAsync((string)attachment["url"]!);
        Assert.NotEqual(target, result);
        Assert.Equal(0x89, result[0]);
    }

    [Fact]
    public async Task Swapid_with_an_unknown_id_replies_not_found()
    {
        await using var discord = await StartAsync(Unlimited);
        string nonce = await discord.SendAsync("swapid", Text("idname", "ghost"), Image("image", TestImages.Face()));
        var reply = await discord.WaitForReplyAsync(nonce);
        Assert.Equal("idname ghost not found", (string)reply["content"]!);
        Assert.Empty(reply["attachments"]!.AsArray());
    }

    [Fact]
    public async Task Setid_listid_delid_delall_answer_their_texts()
    {
        await using var discord = await StartAsync(Unlimited);
        await discord.WaitForReplyAsync(await discord.SendAsync("saveid", Text("idname", "me"), Image("image", TestImages.Face())));
        await discord.WaitForReplyAsync(await discord.SendAsync("saveid", Text("idname", "him"), Image("image", TestImages.Face())));

        async Task<string> Say(string command, params Option[] options) =>
            (string)(await discord.WaitForReplyAsync(await discord.SendAsync(command, options)))["content"]!;

        Assert.Equal("Current default ID(s) set to `me,_,him`", await Say("setid", Text("idname", "me,_,him")));
        Assert.Equal("Prefer option set to `--greedy`", await Say("setid", Text("idname", "--greedy")));
        Assert.Equal("idname nobody not found", await Say("setid", Text("idname", "nobody")));
        Assert.Equal("Saved idnames (2/20): `me`, `him`\nCurrent default ID(s): `me,_,him`\nPrefer option: --greedy", await Say("listid"));
        Assert.Equal("idname me deleted", await Say("delid", Text("idname", "me")));
        Assert.Equal("idname me not found", await Say("delid", Text("idname", "me")));
        Assert.Equal("All idnames deleted", await Say("delall"));
        Assert.Equal("Saved idnames (0/20): none\nCurrent default ID(s): none\nPrefer option: --greedy", await Say("listid"));
    }

    [Fact]
    public async Task Headshot_submits_a_job_then_posts_the_result_as_a_reply_to_it()
    {
        await using var discord = await StartAsync(Unlimited);
        await discord.WaitForReplyAsync(await discord.SendAsync("saveid", Text("idname", "me"), Image("image", TestImages.Face())));
        string nonce = await discord.SendAsync("headshot", Text("prompt", "a mad king --square"));
        var first = await discord.WaitForReplyAsync(nonce);

        var submitted = System.Text.RegularExpressions.Regex.Match((string)first["content"]!,
            @"^<@(\d+)>  Picsi\.Ai Headshot Job Submitted \[jobid: ([0-9a-f]{32})\] \[credits: 4\] \[prompt: 'a mad king --square'\] \(45/50 credits remaining\)$");
        Assert.True(submitted.Success, (string)first["content"]!);
        Assert.Equal(discord.UserId, submitted.Groups[1].Value);
        Assert.Empty(first["attachments"]!.AsArray());
        string jobId = submitted.Groups[2].Value;

        var result = await discord.WaitForMessageAsync(m => (int)m["type"]! == 19);
        Assert.Equal((string)first["id"]!, (string)result["message_reference"]!["message_id"]!);
        Assert.Equal(ChannelId, (string)result["message_reference"]!["channel_id"]!);
        Assert.Contains($"[jobid: {jobId}]", (string)result["content"]!);
        Assert.Equal("1090660574196674713", (string)result["author"]!["id"]!);
        Assert.Equal((512, 512), ((int)result["attachments"]![0]!["width"]!, (int)result["attachments"]![0]!["height"]!));
        Assert.True(ulong.Parse((string)result["id"]!) > ulong.Parse((string)first["id"]!));
    }

    [Fact]
    public async Task Headshot_arrives_only_after_the_async_delay()
    {
        await using var discord = await StartAsync(o => { Unlimited(o); o.AsyncResultDelay = TimeSpan.FromSeconds(30); });
        await discord.WaitForReplyAsync(await discord.SendAsync("saveid", Text("idname", "me"), Image("image", TestImages.Face())));
        var first = await discord.WaitForReplyAsync(await discord.SendAsync("headshot", Text("prompt", "x")));
        var answeredAt = DateTimeOffset.Parse((string)first["timestamp"]!);

        // Fake time just short of the delay: the result's timer cannot have fired.
        discord.Clock.Advance(answeredAt + TimeSpan.FromSeconds(29) - discord.Clock.GetUtcNow());
        Assert.DoesNotContain(await discord.MessagesAsync(), m => (int)m["type"]! == 19);
        var result = await discord.WaitForMessageAsync(m => (int)m["type"]! == 19);
        Assert.True(DateTimeOffset.Parse((string)result["timestamp"]!) >= answeredAt + TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Headshot_without_a_saved_face_replies_no_default_id()
    {
        await using var discord = await StartAsync(Unlimited);
        var reply = await discord.WaitForReplyAsync(await discord.SendAsync("headshot", Text("prompt", "x")));
        Assert.Equal("No default ID set. Save one with /saveid or choose one with /setid.", (string)reply["content"]!);
    }

    [Fact]
    public async Task Changebg_is_asynchronous_and_costs_2()
    {
        await using var discord = await StartAsync(Unlimited);
        var first = await discord.WaitForReplyAsync(await discord.SendAsync("changebg",
            Image("image", TestImages.Face()), Text("a_background_photo_of", "a beach")));
        Assert.Matches(@"^<@\d+>  Picsi\.Ai ChangeBG Job Submitted \[jobid: [0-9a-f]{32}\] \[credits: 2\] \[prompt: 'a beach'\] \(48/50 credits remaining\)$",
            (string)first["content"]!);
        var result = await discord.WaitForMessageAsync(m => (int)m["type"]! == 19);
        Assert.Single(result["attachments"]!.AsArray());
    }

    [Fact]
    public async Task Picsi_with_images_answers_at_once_and_with_a_gif_target_submits_a_job()
    {
        await using var discord = await StartAsync(Unlimited);
        var still = await discord.WaitForReplyAsync(await discord.SendAsync("picsi",
            Image("source", TestImages.Face()), Image("target", TestImages.Face(seed: 4), "t.png")));
        Assert.Equal($"<@{discord.UserId}> [Picsi.Ai] (49/50 credits remaining)", (string)still["content"]!);
        Assert.Single(still["attachments"]!.AsArray());

        var gif = TestImages.Gif();
        var first = await discord.WaitForReplyAsync(await discord.SendAsync("picsi",
            Image("source", TestImages.Face()), Image("target", gif, "t.gif"), Text("options", "-f")));
        Assert.Matches(@"^<@\d+>  Picsi\.Ai GIF Job Submitted \[jobid: [0-9a-f]{32}\] \[credits: 20\] \(29/50 credits remaining\)$",
            (string)first["content"]!);
        var result = await discord.WaitForMessageAsync(m => (int)m["type"]! == 19);
        Assert.Equal("image/gif", (string)result["attachments"]![0]!["content_type"]!);
        Assert.Equal(gif, await new HttpClient().GetByteArrayAsync((string)result["attachments"]![0]!["url"]!));
    }

    [Fact]
    public async Task INSwapper_swaps_the_default_id_onto_the_target_message_image()
    {
        await using var discord = await StartAsync(Unlimited);
        await discord.WaitForReplyAsync(await discord.SendAsync("saveid", Text("idname", "me"), Image("image", TestImages.Face())));
        var target = discord.Server.State.PostUserMessage(Token, ChannelId, "", new SandboxFile("t.png", TestImages.Face(90, 90, 6)));

        var body = await discord.InteractionBodyAsync("INSwapper");
        var data = body["data"]!.AsObject();
        data.Remove("options");
        data.Remove("attachments");
        data["target_id"] = target.Id.ToString();
        using var response = await discord.PostInteractionAsync(body);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);

        var reply = await discord.WaitForReplyAsync((string)body["nonce"]!);
        Assert.Equal(23, (int)reply["type"]!);
        Assert.Equal($"<@{discord.UserId}> [SaveID: 'me'] (48/50 credits remaining)", (string)reply["content"]!);
        Assert.Equal(target.Id.ToString(), (string)reply["interaction_metadata"]!["target_message_id"]!);
        Assert.Equal("INSwapper", (string)reply["interaction"]!["name"]!);
        // message.mdx, target_message_id: the original response also has message_reference and referenced_message to the target.
        Assert.Equal(target.Id.ToString(), (string)reply["message_reference"]!["message_id"]!);
        Assert.Equal(target.Id.ToString(), (string)reply["referenced_message"]!["id"]!);
        Assert.Single(reply["attachments"]!.AsArray());
    }

    [Fact]
    public async Task INSwapper_on_a_message_without_image_replies_a_text_and_on_an_unknown_message_404()
    {
        await using var discord = await StartAsync(Unlimited);
        var text = discord.Server.State.PostUserMessage(Token, ChannelId, "no image here");
        var body = await discord.InteractionBodyAsync("INSwapper");
        body["data"]!["target_id"] = text.Id.ToString();
        using (var response = await discord.PostInteractionAsync(body)) Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("The target message has no image attachment.", (string)(await discord.WaitForReplyAsync((string)body["nonce"]!))["content"]!);

        var unknown = await discord.InteractionBodyAsync("INSwapper");
        unknown["data"]!["target_id"] = "1234567890123456789";
        using var missing = await discord.PostInteractionAsync(unknown);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(10008, (int)JsonNode.Parse(await missing.Content.ReadAsStringAsync())!["code"]!);
    }

    [Fact]
    public async Task Credits_decrease_per_command_and_exhaustion_replies_the_daily_limit_text()
    {
        await using var discord = await StartAsync(Unlimited);
        await discord.WaitForReplyAsync(await discord.SendAsync("saveid", Text("idname", "me"), Image("image", TestImages.Face())));
        Assert.Equal(49, discord.Server.State.Credits.Left(discord.UserId));

        discord.Server.State.Credits.SetUsed(discord.UserId, 47);
        var refused = await discord.WaitForReplyAsync(await discord.SendAsync("headshot", Text("prompt", "x")));
        Assert.Equal($"<@{discord.UserId}> Daily credit limit reached: this command needs 4 credits and you have 3 of 50 left today. Credits renew at 00:00 UTC.",
            (string)refused["content"]!);
        Assert.Equal(3, discord.Server.State.Credits.Left(discord.UserId));

        var swap = await discord.WaitForReplyAsync(await discord.SendAsync("swapid", Text("idname", "me"), Image("image", TestImages.Face())));
        Assert.EndsWith("(2/50 credits remaining)", (string)swap["content"]!);
        Assert.DoesNotContain(await discord.MessagesAsync(), m => (int)m["type"]! == 19);
    }
}
