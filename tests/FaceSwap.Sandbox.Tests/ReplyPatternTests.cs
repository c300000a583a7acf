using System.Net;
using System.Text.Json.Nodes;
using FaceSwap.Sandbox.Bot;
using FaceSwap.Sandbox.Discord;
using static FaceSwap.Sandbox.Tests.TestDiscord;

namespace FaceSwap.Sandbox.Tests;

/// <summary>
/// Each reply sequence the seeded plan can play, as message sequences read over HTTP
/// (developers/interactions/receiving-and-responding.mdx).
/// </summary>
public sealed class ReplyPatternTests
{
    private static Action<SandboxOptions> Only(ReplyPattern pattern, AsyncResultStyle async = AsyncResultStyle.NewMessage) => o =>
    {
        Unlimited(o);
        o.Replies = new ReplyPlanOptions { Seed = 7, Patterns = [pattern], AsyncResults = [async], OtherTraffic = 0 };
    };

    private static async Task<JsonArray> HistoryAsync(TestDiscord discord) =>
        (await discord.GetJsonAsync($"channels/{ChannelId}/messages?limit=100")).AsArray();

    [Fact]
    public async Task Immediate_reply_is_one_new_message_never_edited()
    {
        await using var discord = await StartAsync(Only(ReplyPattern.Immediate));
        string sent = await discord.SendAsync("listid");
        Assert.Empty(await HistoryAsync(discord)); // nothing until the bot answers
        var reply = await discord.WaitForReplyAsync(sent);
        var history = await HistoryAsync(discord);
        Assert.Equal((string)reply["id"]!, (string)history.Single()!["id"]!);
        Assert.Equal(0, (int)history[0]!["flags"]!);
        Assert.Null(history[0]!["edited_timestamp"]);
        Assert.StartsWith("Saved idnames (0/20)", (string)history[0]!["content"]!);
    }

    [Fact]
    public async Task Deferred_reply_is_a_loading_message_edited_in_place()
    {
        await using var discord = await StartAsync(Only(ReplyPattern.Deferred));
        string sent = await discord.SendAsync("listid");

        var loading = (await HistoryAsync(discord)).Single()!;
        Assert.True(discord.IsOurs(loading.AsObject(), sent));
        Assert.Equal(20, (int)loading["type"]!);
        Assert.Equal(MessageFlags.Loading, (int)loading["flags"]!);
        Assert.Equal("", (string)loading["content"]!);
        Assert.Null(loading["edited_timestamp"]);
        string id = (string)loading["id"]!;

        var reply = await discord.WaitForReplyAsync(sent);
        Assert.Equal(id, (string)reply["id"]!);
        var read = await discord.GetJsonAsync($"channels/{ChannelId}/messages/{id}");
        Assert.Equal(0, (int)read["flags"]!);
        Assert.StartsWith("Saved idnames (0/20)", (string)read["content"]!);
        Assert.Equal(loading["interaction_metadata"]!["id"]!.ToString(), read["interaction_metadata"]!["id"]!.ToString());
        var edited = DateTimeOffset.Parse((string)read["edited_timestamp"]!);
        Assert.True(edited > DateTimeOffset.Parse((string)read["timestamp"]!));
        Assert.Single(await HistoryAsync(discord));

        // Paging forward from the loading message never shows its edit: a client has to read it again by id.
        Assert.Empty((await discord.GetJsonAsync($"channels/{ChannelId}/messages?after={id}")).AsArray());
    }

    [Fact]
    public async Task Follow_up_reply_is_an_interim_text_then_a_message_naming_the_original_response()
    {
        await using var discord = await StartAsync(Only(ReplyPattern.FollowUp));
        string sent = await discord.SendAsync("saveid", new Option("idname", "me"), new Option("image", File: ("a.png", TestImages.Face())));

        var interim = (await HistoryAsync(discord)).Single()!;
        Assert.Equal(BotTexts.Interim(discord.UserId), (string)interim["content"]!);
        Assert.Equal("saveid", (string)interim["interaction"]!["name"]!);

        var followUp = await discord.WaitForReplyAsync(sent);
        Assert.Equal("idname me created", (string)followUp["content"]!);
        Assert.Equal(20, (int)followUp["type"]!);
        Assert.Equal((string)interim["id"]!, (string)followUp["interaction_metadata"]!["original_response_message_id"]!);
        Assert.Equal((string)interim["interaction_metadata"]!["id"]!, (string)followUp["interaction_metadata"]!["id"]!);
        Assert.Null(followUp["interaction"]); // the deprecated object belongs to the original response only
        var history = await HistoryAsync(discord);
        Assert.Equal(new[] { (string)followUp["id"]!, (string)interim["id"]! }, history.Select(m => (string)m!["id"]!));
        Assert.Null(history[1]!["edited_timestamp"]); // the interim text stays as it was
    }

    [Fact]
    public async Task Ephemeral_refusal_never_appears_in_history_and_the_command_does_not_run()
    {
        await using var discord = await StartAsync(Only(ReplyPattern.EphemeralRefusal));
        await discord.SendAsync("saveid", new Option("idname", "me"), new Option("image", File: ("a.png", TestImages.Face())));
        var channel = discord.Server.State.FindChannel(ChannelId)!;
        await discord.WaitUntilAsync(() => channel.EphemeralMessages.Count == 1);

        var refusal = channel.EphemeralMessages.Single();
        Assert.Equal(MessageFlags.Ephemeral, refusal.Flags & MessageFlags.Ephemeral);
        Assert.Empty(await HistoryAsync(discord));
        using var byId = await discord.Http.GetAsync($"channels/{ChannelId}/messages/{refusal.Id}");
        Assert.Equal(HttpStatusCode.NotFound, byId.StatusCode);
        Assert.Empty(channel.SavedIds.Names);
        Assert.Equal(50, discord.Server.State.Credits.Left(discord.UserId));
    }

    [Fact]
    public async Task No_response_posts_nothing_at_all_and_the_next_command_is_answered()
    {
        await using var discord = await StartAsync(o => { Unlimited(o); o.Replies.OtherTraffic = 0; });
        discord.Server.Faults.PlayNext(ReplyPattern.NoResponse);
        await discord.SendAsync("saveid", new Option("idname", "me"), new Option("image", File: ("a.png", TestImages.Face())));
        string next = await discord.SendAsync("listid");
        var reply = await discord.WaitForReplyAsync(next);
        // "The application did not respond" is the client's own text: nothing of it is in the channel.
        Assert.Equal((string)reply["id"]!, (string)(await HistoryAsync(discord)).Single()!["id"]!);
        Assert.Empty(discord.Server.State.FindChannel(ChannelId)!.SavedIds.Names);
        Assert.DoesNotContain(await HistoryAsync(discord), m => ((string)m!["content"]!).Contains("did not respond"));
    }

    [Fact]
    public async Task A_bot_that_will_answer_later_than_three_seconds_defers_even_when_the_plan_says_immediate()
    {
        // receiving-and-responding.mdx: an initial response must come within 3 seconds, so a slow bot defers.
        await using var discord = await StartAsync(o => { Only(ReplyPattern.Immediate)(o); o.BotReplyDelay = TimeSpan.FromSeconds(3); });
        string sent = await discord.SendAsync("listid");
        Assert.Equal(MessageFlags.Loading, (int)(await HistoryAsync(discord)).Single()!["flags"]!);
        var reply = await discord.WaitForReplyAsync(sent);
        Assert.NotNull(reply["edited_timestamp"]);

        // Three quick ones in a row: the third would be answered 3 s after it arrived, so it is deferred too.
        await using var busy = await StartAsync(Only(ReplyPattern.Immediate));
        for (int i = 0; i < 3; i++) await busy.SendAsync("listid");
        var flags = (await busy.MessagesAsync()).Select(m => (int)m["flags"]!).ToList();
        Assert.Equal([MessageFlags.Loading], flags);
        await busy.WaitUntilAsync(() => busy.Server.UnansweredInteractions == 0);
        var answered = await busy.MessagesAsync();
        Assert.Equal(3, answered.Count);
        Assert.Single(answered, m => m["edited_timestamp"] is not null);
    }

    [Fact]
    public async Task Deferred_answer_later_than_fifteen_minutes_leaves_the_message_loading()
    {
        await using var discord = await StartAsync(o => { Only(ReplyPattern.Deferred)(o); o.BotReplyDelay = TimeSpan.FromMinutes(15); });
        await discord.SendAsync("listid");
        string id = (string)(await HistoryAsync(discord)).Single()!["id"]!;
        discord.Clock.Advance(TimeSpan.FromMinutes(15));
        await discord.WaitUntilAsync(() => discord.Server.UnansweredInteractions == 0);
        var message = await discord.GetJsonAsync($"channels/{ChannelId}/messages/{id}");
        Assert.Equal(MessageFlags.Loading, (int)message["flags"]!);
        Assert.Null(message["edited_timestamp"]);
        Assert.Single(await HistoryAsync(discord));
    }

    [Fact]
    public async Task Async_result_as_a_new_message_replies_to_the_job_submitted_message()
    {
        await using var discord = await StartAsync(Only(ReplyPattern.Deferred, AsyncResultStyle.NewMessage));
        await discord.WaitForReplyAsync(await discord.SendAsync("saveid", new Option("idname", "me"), new Option("image", File: ("a.png", TestImages.Face()))));
        var first = await discord.WaitForReplyAsync(await discord.SendAsync("headshot", new Option("prompt", "x")));
        Assert.Contains("Job Submitted [jobid: ", (string)first["content"]!);
        string jobId = System.Text.RegularExpressions.Regex.Match((string)first["content"]!, @"jobid: ([0-9a-f]{32})").Groups[1].Value;

        var result = await discord.WaitForMessageAsync(m => (int)m["type"]! == MessageTypes.Reply);
        Assert.Equal((string)first["id"]!, (string)result["message_reference"]!["message_id"]!);
        Assert.Equal((string)first["id"]!, (string)result["referenced_message"]!["id"]!);
        Assert.Contains($"[jobid: {jobId}]", (string)result["content"]!);
        Assert.Equal(discord.UserId, (string)result["mentions"]![0]!["id"]!); // "<@user> …" lists the user in mentions
        Assert.Equal(discord.Server.State.BotUser.Id, (string)result["author"]!["id"]!);
        // Posted by the bot user, not through the interaction's webhook.
        Assert.Null(result["interaction_metadata"]);
        Assert.Null(result["webhook_id"]);
        Assert.Single(result["attachments"]!.AsArray());
        // The "Job Submitted" message stays as it was.
        Assert.Contains("Job Submitted", (string)(await discord.GetJsonAsync($"channels/{ChannelId}/messages/{(string)first["id"]!}"))["content"]!);
    }

    [Fact]
    public async Task Async_result_as_an_edit_turns_the_job_submitted_message_into_the_result()
    {
        await using var discord = await StartAsync(Only(ReplyPattern.Immediate, AsyncResultStyle.EditFirstReply));
        await discord.WaitForReplyAsync(await discord.SendAsync("saveid", new Option("idname", "me"), new Option("image", File: ("a.png", TestImages.Face()))));
        var first = await discord.WaitForReplyAsync(await discord.SendAsync("headshot", new Option("prompt", "x")));
        string id = (string)first["id"]!;
        Assert.Null(first["edited_timestamp"]);

        var edited = await discord.WaitForMessageAsync(m => (string)m["id"]! == id && m["edited_timestamp"] is not null);
        Assert.Contains("Job Completed [jobid: ", (string)edited["content"]!);
        Assert.Single(edited["attachments"]!.AsArray());
        Assert.DoesNotContain(await HistoryAsync(discord), m => (int)m!["type"]! == MessageTypes.Reply);
    }

    [Fact]
    public async Task Async_result_after_the_interaction_token_expired_comes_as_a_new_message_even_when_edits_are_planned()
    {
        await using var discord = await StartAsync(o =>
        {
            Only(ReplyPattern.Immediate, AsyncResultStyle.EditFirstReply)(o);
            o.AsyncResultDelay = TimeSpan.FromMinutes(16);
        });
        await discord.WaitForReplyAsync(await discord.SendAsync("saveid", new Option("idname", "me"), new Option("image", File: ("a.png", TestImages.Face()))));
        var first = await discord.WaitForReplyAsync(await discord.SendAsync("headshot", new Option("prompt", "x")));
        discord.Clock.Advance(TimeSpan.FromMinutes(15));
        var result = await discord.WaitForMessageAsync(m => (int)m["type"]! == MessageTypes.Reply);
        Assert.Equal((string)first["id"]!, (string)result["message_reference"]!["message_id"]!);
        Assert.Null((await discord.GetJsonAsync($"channels/{ChannelId}/messages/{(string)first["id"]!}"))["edited_timestamp"]);
    }

    [Fact]
    public async Task Same_seed_plays_the_same_patterns_and_the_plan_uses_every_allowed_pattern()
    {
        static async Task<List<string>> PlayAsync(int seed)
        {
            await using var discord = await StartAsync(o =>
            {
                Unlimited(o);
                o.Replies = new ReplyPlanOptions { Seed = seed, Patterns = [ReplyPattern.Immediate, ReplyPattern.Deferred, ReplyPattern.FollowUp], OtherTraffic = 0 };
            });
            var shapes = new List<string>();
            for (int i = 0; i < 12; i++)
            {
                string sent = await discord.SendAsync("listid");
                var reply = await discord.WaitForReplyAsync(sent);
                var ours = (await discord.MessagesAsync()).Where(m => discord.IsOurs(m, sent)).ToList();
                shapes.Add(ours.Count == 2 ? "follow_up" : reply["edited_timestamp"] is null ? "immediate" : "deferred");
            }
            return shapes;
        }
        var first = await PlayAsync(42);
        Assert.Equal(first, await PlayAsync(42));
        Assert.Equal(new[] { "deferred", "follow_up", "immediate" }, first.Distinct().Order());
    }

    [Fact]
    public async Task Other_users_traffic_interleaves_in_every_pattern_and_names_other_users()
    {
        await using var discord = await StartAsync(o =>
        {
            Unlimited(o);
            o.Replies = new ReplyPlanOptions { Seed = 3, Patterns = [ReplyPattern.Immediate], OtherTraffic = 1 };
        });
        for (int i = 0; i < 25; i++) await discord.WaitForReplyAsync(await discord.SendAsync("listid"));

        var history = (await HistoryAsync(discord)).Select(m => m!.AsObject()).ToList();
        var ours = history.Where(m => (string?)m["interaction_metadata"]?["user"]?["id"] == discord.UserId).ToList();
        var others = history.Except(ours).ToList();
        Assert.Equal(25, ours.Count);
        Assert.All(ours, m => Assert.StartsWith("Saved idnames", (string)m["content"]!));
        var bystanders = discord.Server.State.Bystanders.Select(b => b.Id).ToHashSet();
        string bot = discord.Server.State.BotUser.Id;
        bool IsBystanders(JsonObject m) => m["interaction_metadata"] is { } meta && bystanders.Contains((string)meta["user"]!["id"]!);

        Assert.Contains(others, m => (string)m["author"]!["id"]! != bot);                                              // plain chat
        Assert.Contains(others, m => IsBystanders(m) && m["edited_timestamp"] is not null);                            // a LOADING reply edited
        Assert.Contains(others, m => IsBystanders(m) && m["interaction_metadata"]!["original_response_message_id"] is not null); // a follow-up
        Assert.Contains(others, m => IsBystanders(m) && m["attachments"]!.AsArray().Count > 0);                        // a result image
        Assert.Contains(others, m => (int)m["type"]! == MessageTypes.Reply && others.Any(o => (string)o["id"]! == (string)m["message_reference"]!["message_id"]!));
        Assert.All(others.Where(m => (string)m["author"]!["id"]! == bot && (int)m["type"]! != MessageTypes.Reply), m => Assert.True(IsBystanders(m)));
    }
}
