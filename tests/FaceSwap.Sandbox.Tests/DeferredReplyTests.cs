using System.Text.Json.Nodes;
using static FaceSwap.Sandbox.Tests.TestDiscord;

namespace FaceSwap.Sandbox.Tests;

public sealed class DeferredReplyTests
{
    [Fact]
    public async Task Deferring_bot_shows_a_loading_message_at_once_then_edits_it_into_the_reply()
    {
        await using var discord = await StartAsync(o => { Unlimited(o); o.DeferReplies = true; o.BotReplyDelay = TimeSpan.FromMilliseconds(600); });
        string nonce = await discord.SendAsync("listid");

        var loading = (await discord.MessagesAsync()).Single();
        Assert.Equal(nonce, (string)loading["nonce"]!);
        Assert.Equal(128, (int)loading["flags"]!);
        Assert.Equal("", (string)loading["content"]!);
        Assert.Null(loading["edited_timestamp"]);
        string id = (string)loading["id"]!;

        var reply = await discord.WaitForMessageAsync(m => (string)m["id"]! == id && (int)m["flags"]! == 0);
        Assert.StartsWith("Saved idnames (0/20)", (string)reply["content"]!);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$", (string)reply["edited_timestamp"]!);
        Assert.Single(await discord.MessagesAsync());

        // Paging forward from the loading message does not show its edit: the client has to look again.
        var after = await discord.GetJsonAsync($"channels/{ChannelId}/messages?after={id}");
        Assert.Empty(after.AsArray());
    }

    [Fact]
    public async Task Deferred_reply_that_never_comes_stays_loading()
    {
        await using var discord = await StartAsync(o => { Unlimited(o); o.DeferReplies = true; });
        discord.Server.Faults.DropNextReplies();
        string nonce = await discord.SendAsync("listid");
        await Task.Delay(300);
        var message = (await discord.MessagesAsync()).Single();
        Assert.Equal(nonce, (string)message["nonce"]!);
        Assert.Equal(128, (int)message["flags"]!);
    }

    [Fact]
    public async Task Deferred_headshot_result_references_the_edited_first_reply()
    {
        await using var discord = await StartAsync(o => { Unlimited(o); o.DeferReplies = true; });
        string save = await discord.SendAsync("saveid", new Option("idname", "me"), new Option("image", File: ("a.png", TestImages.Face())));
        await discord.WaitForMessageAsync(m => (string?)m["nonce"] == save && (int)m["flags"]! == 0);
        string nonce = await discord.SendAsync("headshot", new Option("prompt", "x"));
        var result = await discord.WaitForMessageAsync(m => (int)m["type"]! == 19);
        var first = (await discord.MessagesAsync()).Single(m => (string?)m["nonce"] == nonce);
        Assert.Equal((string)first["id"]!, (string)result["message_reference"]!["message_id"]!);
        Assert.Contains("Job Submitted", (string)first["content"]!);
    }
}
