using System.Text.Json;
using FaceSwap.Discord.Polling;
using FaceSwap.Discord.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace FaceSwap.Discord.Tests;

/// <summary>
/// The matcher on message JSON shaped as discord/discord-api-docs documents it:
/// developers/resources/message.mdx ("Message Object", "Example Message", "Message Types", "Message Flags",
/// "Message Interaction Metadata Object" — application command metadata: id, type, user,
/// authorizing_integration_owners, original_response_message_id on follow-ups, target_message_id on
/// message commands) and developers/interactions/receiving-and-responding.mdx ("Interaction Type",
/// "Followup Messages").
/// </summary>
public class ReplyMatcherTests
{
    private const string Bot = "1090660574196674713";
    private const string Us = "53908099506183680";
    private const string Someone = "80351110224678912";
    private static readonly DateTimeOffset Sent = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly string SentAfter = Snowflake.FromTime(Sent - TimeSpan.FromSeconds(3));

    private static string Id(double secondsAfterSend, int sequence = 0) =>
        (ulong.Parse(Snowflake.FromTime(Sent + TimeSpan.FromSeconds(secondsAfterSend))) + (ulong)sequence).ToString();

    private static ReplyExpectation Expect(string command = "saveid", bool messageCommand = false, string? sentAfter = null) => new()
    {
        UserId = Us, CommandName = command, IsMessageCommand = messageCommand, SentAfter = sentAfter ?? SentAfter,
    };

    internal static DiscordMessage Parse(string json) => JsonSerializer.Deserialize<DiscordMessage>(json, DiscordJson.Options)!;

    /// <summary>A bot answer to an application command, with the documented fields (message.mdx).</summary>
    internal static string Answer(string id, string content, int type = 20, string user = Us, string userField = "user",
        int flags = 0, string? original = null, string? legacyName = null, string? reference = null, int interactionType = 2, string? target = null) =>
        $$"""
        {
          "id": "{{id}}", "type": {{type}}, "channel_id": "290926798999357250",
          "author": {"id": "{{Bot}}", "username": "InsightFaceSwap", "discriminator": "0000", "avatar": null, "bot": true},
          "content": {{JsonSerializer.Serialize(content)}}, "timestamp": "2026-11-29T12:00:01.000000+00:00", "edited_timestamp": null,
          "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
          "pinned": false, "flags": {{flags}}, "application_id": "{{Bot}}", "webhook_id": "{{Bot}}",
          "interaction_metadata": {
            "id": "1310000000000000001", "type": {{interactionType}},
            {{(userField == "user" ? $"\"user\": {{\"id\": \"{user}\", \"username\": \"someone\", \"discriminator\": \"0\"}}" : $"\"user_id\": \"{user}\"")}},
            "authorizing_integration_owners": {"0": "290926798999357249"}
            {{(original is null ? "" : $", \"original_response_message_id\": \"{original}\"")}}
            {{(target is null ? "" : $", \"target_message_id\": \"{target}\"")}}
          }
          {{(legacyName is null ? "" : $$""", "interaction": {"id": "1310000000000000001", "type": 2, "name": "{{legacyName}}", "user": {"id": "{{user}}"} }""")}}
          {{(reference is null ? "" : $$""", "message_reference": {"type": 0, "message_id": "{{reference}}", "channel_id": "290926798999357250"}""")}}
        }
        """;

    /// <summary>developers/resources/message.mdx, "Example Message": plain chat of a person.</summary>
    private const string DocsExampleMessage = """
        {
          "reactions": [{"count": 1, "count_details": {"burst": 0, "normal": 1}, "me": false, "me_burst": false,
                         "emoji": {"id": null, "name": "🔥"}, "burst_colors": []}],
          "attachments": [], "tts": false, "embeds": [], "timestamp": "2017-07-11T17:27:07.299000+00:00",
          "mention_everyone": false, "id": "334385199974967042", "pinned": false, "edited_timestamp": null,
          "author": {"username": "Mason", "discriminator": "9999", "id": "53908099506183680", "avatar": "a_bab14f271d565501444b2ca3be944b25"},
          "mention_roles": [], "content": "Supa Hot", "channel_id": "290926798999357250", "mentions": [], "type": 0
        }
        """;

    [Fact]
    public void The_first_answer_of_our_user_to_this_command_after_sending_is_ours()
    {
        Assert.Equal(ReplyMatch.FirstReply, ReplyMatcher.Match(Expect(), Parse(Answer(Id(1), "idname me created")), Bot));
        // Libraries and emulators that flatten the user to user_id are read too.
        Assert.Equal(ReplyMatch.FirstReply, ReplyMatcher.Match(Expect(), Parse(Answer(Id(1), "idname me created", userField: "user_id")), Bot));
        // The deprecated interaction object names the command; a matching name is fine, another is not.
        Assert.Equal(ReplyMatch.FirstReply, ReplyMatcher.Match(Expect(), Parse(Answer(Id(1), "x", legacyName: "saveid")), Bot));
        Assert.Equal(ReplyMatch.None, ReplyMatcher.Match(Expect(), Parse(Answer(Id(1), "x", legacyName: "listid")), Bot));
    }

    [Fact]
    public void An_answer_echoing_another_prompt_is_another_command_of_ours()
    {
        // The vendor's jobid page shows the bot echoing the prompt, options appended: "[prompt: '… --square']".
        var headshot = new ReplyExpectation { UserId = Us, CommandName = "headshot", SentAfter = SentAfter, Prompt = "a mad king" };
        string Submitted(string prompt) => Answer(Id(1), $"<@{Us}>  Picsi.Ai Headshot Job Submitted [jobid: 8a1f574fdbf79e8cd57e070476d9d5f3] [credits: 4] [prompt: '{prompt}'] (796/800 credits remaining)");

        Assert.Equal(ReplyMatch.FirstReply, ReplyMatcher.Match(headshot, Parse(Submitted("a mad king --no green --square")), Bot));
        Assert.Equal(ReplyMatch.None, ReplyMatcher.Match(headshot, Parse(Submitted("a wizard")), Bot));
        // An answer that echoes no prompt is judged as before.
        Assert.Equal(ReplyMatch.FirstReply, ReplyMatcher.Match(headshot, Parse(Answer(Id(1), "<@53908099506183680> Your command was received and is being processed")), Bot));
    }

    [Fact]
    public void Answers_to_other_users_older_messages_and_chat_never_match()
    {
        Assert.Equal(ReplyMatch.None, ReplyMatcher.Match(Expect(), Parse(Answer(Id(1), "idname me created", user: Someone)), Bot));
        Assert.Equal(ReplyMatch.None, ReplyMatcher.Match(Expect(), Parse(Answer(Id(1), "idname me created", user: Someone, userField: "user_id")), Bot));
        Assert.Equal(ReplyMatch.None, ReplyMatcher.Match(Expect(), Parse(Answer(Id(-10), "idname me created")), Bot));
        var chat = Parse(DocsExampleMessage);
        Assert.Equal(ReplyMatch.None, ReplyMatcher.Match(Expect(sentAfter: "0"), chat, Bot));
        // Even the bot's own words in someone else's interaction: a token of ours must not steal it.
        var theirs = Expect();
        theirs.TextTokens.Add("[jobid: 0123456789abcdef0123456789abcdef]");
        Assert.Equal(ReplyMatch.None, ReplyMatcher.Match(theirs,
            Parse(Answer(Id(5), "Job Completed [jobid: 0123456789abcdef0123456789abcdef]", user: Someone)), Bot));
    }

    [Fact]
    public void Slash_commands_are_answered_with_type_20_and_context_menu_commands_with_type_23()
    {
        Assert.Equal(ReplyMatch.FirstReply, ReplyMatcher.Match(Expect("INSwapper", true), Parse(Answer(Id(1), "[SaveID: 'me']", type: 23)), Bot));
        Assert.Equal(ReplyMatch.None, ReplyMatcher.Match(Expect("INSwapper", true), Parse(Answer(Id(1), "[SaveID: 'me']", type: 20)), Bot));
        Assert.Equal(ReplyMatch.None, ReplyMatcher.Match(Expect("swapid"), Parse(Answer(Id(1), "[SaveID: 'me']", type: 23)), Bot));
        // A message command's answer names its target (target_message_id) and replies to it (message_reference).
        var onTarget = new ReplyExpectation { UserId = Us, CommandName = "INSwapper", IsMessageCommand = true, SentAfter = SentAfter, TargetMessageId = "777" };
        Assert.Equal(ReplyMatch.FirstReply, ReplyMatcher.Match(onTarget, Parse(Answer(Id(1), "[SaveID: 'me']", type: 23, target: "777")), Bot));
        Assert.Equal(ReplyMatch.None, ReplyMatcher.Match(onTarget, Parse(Answer(Id(1), "[SaveID: 'me']", type: 23, target: "778")), Bot));
        var answeredBefore = Expect("headshot");
        answeredBefore.FirstReplyMessageId = "777";
        Assert.Equal(ReplyMatch.None, ReplyMatcher.Match(answeredBefore, Parse(Answer(Id(1), "[SaveID: 'me']", type: 23, target: "777", reference: "777")), Bot));
        // Interaction type 3 is a component click, not our application command (type 2).
        Assert.Equal(ReplyMatch.None, ReplyMatcher.Match(Expect(), Parse(Answer(Id(1), "x", interactionType: 3)), Bot));
    }

    [Fact]
    public void A_deferred_answer_is_a_loading_message_without_content()
    {
        var loading = Parse(Answer(Id(1), "", flags: DiscordMessage.LoadingFlag));
        Assert.Equal(ReplyMatch.FirstReply, ReplyMatcher.Match(Expect(), loading, Bot));
        Assert.Equal(ReplyKind.Loading, InsightFaceSwapReply.Read(loading).Kind);
    }

    [Fact]
    public void Follow_ups_and_replies_point_back_at_the_first_answer()
    {
        var first = Id(1);
        var expected = Expect("swapid");
        expected.FirstReplyMessageId = first;
        Assert.Equal(ReplyMatch.Reference, ReplyMatcher.Match(expected, Parse(Answer(Id(4), "[SaveID: 'me']", original: first)), Bot));
        Assert.Equal(ReplyMatch.Reference, ReplyMatcher.Match(expected, Parse(Answer(Id(4), "done", type: 19, reference: first)), Bot));

        // A follow-up seen before any original answer (the original was ephemeral) is our first visible
        // answer, unless its original is older than our interaction: then it answers an earlier one.
        Assert.Equal(ReplyMatch.FirstReply, ReplyMatcher.Match(Expect("swapid"), Parse(Answer(Id(4), "[SaveID: 'me']", original: Id(0.5))), Bot));
        Assert.Equal(ReplyMatch.None, ReplyMatcher.Match(Expect("swapid"), Parse(Answer(Id(4), "[SaveID: 'me']", original: Id(-20))), Bot));
    }

    [Fact]
    public void An_async_result_is_tied_by_its_job_id()
    {
        var expected = Expect("headshot");
        expected.TextTokens.Add("[jobid: 0123456789abcdef0123456789abcdef]");
        var result = Parse($$"""
            {"id": "{{Id(40)}}", "type": 0, "author": {"id": "{{Bot}}", "bot": true}, "content": "<@{{Us}}> Picsi.Ai Headshot Job Completed [jobid: 0123456789abcdef0123456789abcdef]",
             "attachments": [{"id": "1", "filename": "r.png", "size": 5, "url": "https://cdn.example/r.png", "proxy_url": "https://media.example/r.png"}],
             "embeds": [], "timestamp": "2026-11-29T12:00:40.000000+00:00", "edited_timestamp": null, "flags": 0}
            """);
        Assert.Equal(ReplyMatch.TextToken, ReplyMatcher.Match(expected, result, Bot));
        Assert.Equal(ReplyMatch.None, ReplyMatcher.Match(Expect("headshot"), result, Bot));
    }

    [Fact]
    public void The_poller_gives_each_answer_to_its_own_command_amid_other_traffic()
    {
        var poller = NewPoller();
        var saveid = new ReplyWait(Expect("saveid"), () => false);
        var headshot = new ReplyWait(Expect("headshot"), () => false);

        poller.Deliver([saveid, headshot],
        [
            Parse(DocsExampleMessage),
            Parse(Answer(Id(1, 0), "idname me created", user: Someone)),
            Parse(Answer(Id(1, 1), "Picsi.Ai Headshot Job Submitted [jobid: 0123456789abcdef0123456789abcdef]", legacyName: "headshot")),
            Parse(Answer(Id(1, 2), "idname me created", legacyName: "saveid")),
            Parse($$"""{"id": "{{Id(9)}}", "type": 19, "author": {"id": "{{Bot}}"}, "content": "Job Completed [jobid: ffffffffffffffffffffffffffffffff]", "message_reference": {"message_id": "{{Id(0.5)}}"} }"""),
            Parse($$"""{"id": "{{Id(9, 1)}}", "type": 19, "author": {"id": "{{Bot}}"}, "content": "Job Completed [jobid: 0123456789abcdef0123456789abcdef]", "message_reference": {"message_id": "{{Id(1, 1)}}"}, "attachments": [{"id": "7"}] }"""),
        ]);

        Assert.Equal([Id(1, 2)], Drain(saveid));
        Assert.Equal([Id(1, 1), Id(9, 1)], Drain(headshot));
        Assert.Equal(Id(1, 1), headshot.Expectation.FirstReplyMessageId);
    }

    [Fact]
    public void Two_commands_of_one_name_take_the_answers_in_the_order_they_were_sent()
    {
        var poller = NewPoller();
        var later = new ReplyWait(Expect("listid", sentAfter: Snowflake.FromTime(Sent)), () => false);
        var earlier = new ReplyWait(Expect("listid"), () => false);

        poller.Deliver([later, earlier], [Parse(Answer(Id(1, 0), "Saved idnames (0/20)")), Parse(Answer(Id(1, 1), "Saved idnames (1/20)"))]);

        Assert.Equal([Id(1, 0)], Drain(earlier));
        Assert.Equal([Id(1, 1)], Drain(later));
    }

    [Fact]
    public void An_edit_goes_to_the_command_that_claimed_the_message_once_per_version()
    {
        var poller = NewPoller();
        var wait = new ReplyWait(Expect(), () => false);
        var registration = poller.Add("t", wait);
        var id = Id(1);

        poller.Deliver([wait], [Parse(Answer(id, "", flags: DiscordMessage.LoadingFlag))]);
        poller.Deliver([wait], [Parse(Answer(id, "", flags: DiscordMessage.LoadingFlag))]);
        var edited = Parse(Answer(id, "idname me created")) with { EditedTimestamp = "2026-11-29T12:00:05.000000+00:00" };
        poller.Deliver([wait], [edited]);

        var seen = DrainMessages(wait);
        Assert.Equal(2, seen.Count);
        Assert.True(seen[0].IsLoading);
        Assert.Equal("idname me created", seen[1].Content);

        // Once the command is done, its messages are never handed to a later command.
        registration.Dispose();
        var next = new ReplyWait(Expect(), () => false);
        poller.Deliver([next], [edited]);
        Assert.Empty(Drain(next));
    }

    private static ChannelPoller NewPoller() =>
        new("c", null!, new TestOptionsMonitor(new DiscordEngineOptions()), TimeProvider.System, NullLogger.Instance);

    private static List<DiscordMessage> DrainMessages(ReplyWait wait)
    {
        var messages = new List<DiscordMessage>();
        while (wait.NextAsync(DateTimeOffset.MinValue, TimeProvider.System, CancellationToken.None).GetAwaiter().GetResult() is { } m)
        {
            messages.Add(m);
        }
        return messages;
    }

    private static List<string> Drain(ReplyWait wait) => [.. DrainMessages(wait).Select(m => m.Id)];
}
