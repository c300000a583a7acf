using System.Net;
using System.Text.Json.Nodes;
using FaceSwap.Sandbox.Bot;
using Microsoft.Extensions.Time.Testing;
using static FaceSwap.Sandbox.Tests.TestDiscord;

namespace FaceSwap.Sandbox.Tests;

/// <summary>
/// The sandbox keeps its state in a folder, so restarting it (as our server restarts, which real Discord never
/// notices) loses nothing: accounts, messages and files, saved ids, credits, uploads, command ids, unfinished work.
/// </summary>
public sealed class PersistenceTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "sandbox-state-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _clock = new(Start);

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    private Task<TestDiscord> StartOnFolderAsync(Action<SandboxOptions>? configure = null) => StartAsync(o =>
    {
        Unlimited(o);
        o.StateStore = new SandboxStateFolder(_folder);
        configure?.Invoke(o);
    }, _clock);

    [Fact]
    public async Task Restart_on_the_same_folder_keeps_messages_files_saved_ids_credits_and_commands()
    {
        string faceLink, commandId, userId;
        IReadOnlyList<JsonObject> before;
        await using (var discord = await StartOnFolderAsync())
        {
            userId = discord.UserId;
            await discord.WaitForReplyAsync(await discord.SendAsync("saveid", new Option("idname", "me"), new Option("image", File: ("a.png", TestImages.Face()))));
            discord.Server.State.PostUserMessage(Token, ChannelId, "target", new SandboxFile("t.png", TestImages.Face(80, 80, 3)));
            before = await discord.MessagesAsync();
            faceLink = (string)before[0]["attachments"]![0]!["url"]!;
            commandId = (string)(await discord.CommandAsync("swapid"))["id"]!;
        }
        Assert.True(File.Exists(Path.Combine(_folder, "state.json")));

        await using var again = await StartOnFolderAsync();
        // The same token reaches the same user, channel and history (read over HTTP).
        Assert.Equal(userId, (string)(await again.GetJsonAsync("users/@me"))["id"]!);
        var history = (await again.GetJsonAsync($"channels/{ChannelId}/messages")).AsArray().Select(m => m!.AsObject()).ToList();
        Assert.Equal(before.Select(m => (string)m["id"]!), history.Select(m => (string)m["id"]!));
        Assert.Equal(before.Select(m => (string)m["content"]!), history.Select(m => (string)m["content"]!));
        Assert.Equal((string)before[1]["interaction_metadata"]!["id"]!, (string)history[1]["interaction_metadata"]!["id"]!);
        // A link served before the restart still works (on the new port: tests take a free one): the signing key is kept.
        using var cdn = new HttpClient();
        var oldLink = new Uri(faceLink);
        Assert.Equal(TestImages.Face(80, 80, 3), await cdn.GetByteArrayAsync(new Uri(again.Server.Origin, oldLink.PathAndQuery)));
        // Saved ids, credits and command ids survive; new ids come after the old ones.
        Assert.Equal(["me"], again.Server.State.FindChannel(ChannelId)!.SavedIds.Names);
        Assert.Equal(49, again.Server.State.Credits.Left(userId));
        Assert.Equal(commandId, (string)(await again.CommandAsync("swapid"))["id"]!);
        var swap = await again.WaitForReplyAsync(await again.SendAsync("swapid", new Option("idname", "me"), new Option("image", File: ("b.png", TestImages.Face(seed: 5)))));
        Assert.Equal($"<@{userId}> [SaveID: 'me'] (48/50 credits remaining)", (string)swap["content"]!);
        Assert.True(ulong.Parse((string)swap["id"]!) > ulong.Parse((string)history[0]["id"]!));
    }

    [Fact]
    public async Task Unanswered_interaction_and_unfinished_async_job_are_answered_after_a_restart()
    {
        await using (var discord = await StartOnFolderAsync(o => o.Replies.Patterns = [ReplyPattern.Deferred]))
        {
            await discord.WaitForReplyAsync(await discord.SendAsync("saveid", new Option("idname", "me"), new Option("image", File: ("a.png", TestImages.Face()))));
            var headshot = await discord.WaitForReplyAsync(await discord.SendAsync("headshot", new Option("prompt", "x")));
            Assert.Contains("Job Submitted", (string)headshot["content"]!);
            // Accepted (LOADING shown) but not answered when the sandbox stops.
            await discord.SendAsync("listid");
            Assert.Equal(128, (int)(await discord.MessagesAsync())[0]["flags"]!);
        }

        await using var again = await StartOnFolderAsync(o => o.Replies.Patterns = [ReplyPattern.Deferred]);
        var loading = (await again.MessagesAsync())[0];
        var listed = await again.WaitForMessageAsync(m => (string)m["id"]! == (string)loading["id"]! && (int)m["flags"]! == 0);
        Assert.StartsWith("Saved idnames (1/20)", (string)listed["content"]!);
        var result = await again.WaitForMessageAsync(m => (int)m["type"]! == 19);
        Assert.Contains("Headshot Job Completed", (string)result["content"]!);
    }

    [Fact]
    public async Task Upload_reserved_before_a_restart_can_be_used_after_it()
    {
        string uploaded;
        await using (var discord = await StartOnFolderAsync()) uploaded = await discord.UploadAsync("a.png", TestImages.Face());

        await using var again = await StartOnFolderAsync();
        var body = await again.InteractionBodyAsync("saveid", new Option("idname", "me"));
        body["data"]!["attachments"] = new JsonArray(new JsonObject { ["id"] = "0", ["filename"] = "a.png", ["uploaded_filename"] = uploaded });
        body["data"]!["options"]!.AsArray().Add(new JsonObject { ["type"] = 11, ["name"] = "image", ["value"] = 0 });
        using var response = await again.PostInteractionAsync(body);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("idname me created", (string)(await again.WaitForReplyAsync((string)body["nonce"]!))["content"]!);
    }

    [Fact]
    public async Task State_file_is_replaced_whole_and_blobs_of_dropped_files_are_removed()
    {
        await using var discord = await StartOnFolderAsync(o => o.MaxMessagesPerChannel = 2);
        for (int i = 0; i < 4; i++) discord.Server.State.PostUserMessage(Token, ChannelId, $"m{i}", new SandboxFile("f.png", TestImages.Face(seed: i + 1)));
        Assert.False(File.Exists(Path.Combine(_folder, "state.json.tmp")));
        Assert.NotNull(JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_folder, "state.json"))));
        // Two messages are kept, so two files (and nothing of the evicted ones).
        Assert.Equal(2, Directory.GetFiles(Path.Combine(_folder, "blobs")).Length);
    }
}
