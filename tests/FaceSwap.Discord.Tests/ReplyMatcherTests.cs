using System.Text.Json;
using FaceSwap.Discord.Polling;
using FaceSwap.Discord.Protocol;

namespace FaceSwap.Discord.Tests;

public class ReplyMatcherTests
{
    private const string Bot = "1090660574196674713";

    internal static DiscordMessage Message(string id, string content = "", string author = Bot, string? nonce = null,
        string? interactionId = null, string? reference = null, int attachments = 0, int? flags = null) => new()
    {
        Id = id,
        Author = new DiscordUser(author),
        Content = content,
        Nonce = nonce is null ? null : JsonSerializer.SerializeToElement(nonce),
        InteractionMetadata = interactionId is null ? null : new DiscordInteractionMetadata(interactionId),
        MessageReference = reference is null ? null : new DiscordMessageReference(reference),
        Attachments = [.. Enumerable.Range(0, attachments).Select(i => new DiscordAttachment($"a{i}", Url: "http://x/a.png"))],
        Flags = flags,
    };

    [Fact]
    public void Nonce_matches_first()
    {
        var expected = new ReplyExpectation { Nonce = "111", InteractionId = "222" };
        Assert.Equal(ReplyMatch.Nonce, ReplyMatcher.Match(expected, Message("5", nonce: "111", interactionId: "222"), Bot));
    }

    [Fact]
    public void Interaction_metadata_then_reference_then_text()
    {
        var expected = new ReplyExpectation
        {
            Nonce = "111", InteractionId = "222", FirstReplyMessageId = "333", TextTokens = ["[jobid: abc]"],
        };
        Assert.Equal(ReplyMatch.InteractionMetadata, ReplyMatcher.Match(expected, Message("5", interactionId: "222"), Bot));
        Assert.Equal(ReplyMatch.MessageReference, ReplyMatcher.Match(expected, Message("6", reference: "333"), Bot));
        Assert.Equal(ReplyMatch.TextToken, ReplyMatcher.Match(expected, Message("7", "done [JOBID: ABC]"), Bot));
    }

    [Fact]
    public void Messages_of_other_authors_never_match()
    {
        var expected = new ReplyExpectation { Nonce = "111" };
        Assert.Equal(ReplyMatch.None, ReplyMatcher.Match(expected, Message("5", nonce: "111", author: "42"), Bot));
    }

    [Fact]
    public void A_text_token_does_not_steal_a_reply_tied_to_another_interaction()
    {
        var expected = new ReplyExpectation { Nonce = "111", TextTokens = ["idname me created"] };
        Assert.Equal(ReplyMatch.None, ReplyMatcher.Match(expected, Message("5", "idname me created", nonce: "999"), Bot));
        Assert.Equal(ReplyMatch.TextToken, ReplyMatcher.Match(expected, Message("5", "idname me created"), Bot));
    }

    [Fact]
    public void Time_order_only_for_untied_messages_and_waits_without_a_reply()
    {
        var waiting = new ReplyExpectation { Nonce = "1" };
        var answered = new ReplyExpectation { Nonce = "2", FirstReplyMessageId = "9" };
        Assert.True(ReplyMatcher.MayMatchByTimeOrder(waiting, Message("10", "hello"), Bot));
        Assert.False(ReplyMatcher.MayMatchByTimeOrder(answered, Message("10", "hello"), Bot));
        Assert.False(ReplyMatcher.MayMatchByTimeOrder(waiting, Message("10", "hello", reference: "3"), Bot));
    }

    [Fact]
    public void Poller_gives_each_message_to_its_own_wait_and_learns_the_async_result()
    {
        var options = new TestOptionsMonitor(new DiscordEngineOptions());
        var poller = new ChannelPoller("c", null!, options, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var first = new ReplyWait(new ReplyExpectation { Nonce = "100" }, "50", () => false);
        var second = new ReplyWait(new ReplyExpectation { Nonce = "200" }, "50", () => false);

        poller.Deliver([first, second],
        [
            Message("60", "someone else", author: "42", nonce: "200"),
            Message("61", "idname b created", nonce: "200", interactionId: "i2"),
            Message("62", "Picsi.Ai Headshot Job Submitted [jobid: 0123456789abcdef0123456789abcdef]", nonce: "100", interactionId: "i1"),
            Message("63", "Picsi.Ai Headshot Job Completed [jobid: 0123456789abcdef0123456789abcdef]", reference: "62", attachments: 1),
        ]);

        Assert.Equal(["62", "63"], Drain(first));
        Assert.Equal(["61"], Drain(second));
        Assert.Equal("i1", first.Expectation.InteractionId);
        Assert.Equal("62", first.Expectation.FirstReplyMessageId);
    }

    [Fact]
    public void Poller_falls_back_to_time_order_for_the_oldest_waiting_command()
    {
        var poller = new ChannelPoller("c", null!, new TestOptionsMonitor(new DiscordEngineOptions()),
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var older = new ReplyWait(new ReplyExpectation { Nonce = "100" }, "50", () => false);
        Thread.Sleep(5);
        var newer = new ReplyWait(new ReplyExpectation { Nonce = "200" }, "50", () => false);

        poller.Deliver([newer, older], [Message("70", "untied text")]);

        Assert.Equal(["70"], Drain(older));
        Assert.Empty(Drain(newer));
    }

    [Fact]
    public void A_thinking_reply_holds_the_cursor_until_its_edit_is_seen()
    {
        var wait = new ReplyWait(new ReplyExpectation { Nonce = "100" }, "50", () => false);
        var poller = new ChannelPoller("c", null!, new TestOptionsMonitor(new DiscordEngineOptions()),
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

        poller.Deliver([wait], [Message("80", "", nonce: "100", flags: DiscordMessage.LoadingFlag)]);
        wait.Advance("90");
        Assert.Equal("79", wait.After);

        poller.Deliver([wait], [Message("80", "idname x created", nonce: "100")]);
        Assert.Equal("90", wait.After);
    }

    private static List<string> Drain(ReplyWait wait)
    {
        var ids = new List<string>();
        while (wait.NextAsync(TimeSpan.FromMilliseconds(1), CancellationToken.None).GetAwaiter().GetResult() is { } m)
        {
            ids.Add(m.Id);
        }
        return ids;
    }
}
