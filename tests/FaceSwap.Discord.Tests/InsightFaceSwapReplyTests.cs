using FaceSwap.Discord.Protocol;
using FaceSwap.Sandbox.Bot;

namespace FaceSwap.Discord.Tests;

/// <summary>The bot's texts, quoted from the emulated bot so the two cannot drift apart.</summary>
public class InsightFaceSwapReplyTests
{
    private const string User = "42";

    private static DiscordMessage Message(string id, string content, int attachments = 0, int? flags = null) => new()
    {
        Id = id,
        Author = new DiscordUser("1090660574196674713"),
        Content = content,
        Attachments = [.. Enumerable.Range(0, attachments).Select(i => new DiscordAttachment($"a{i}", Url: "http://x/a.png"))],
        Flags = flags,
    };

    [Fact]
    public void Job_submitted_gives_the_job_id_and_credits()
    {
        var reply = InsightFaceSwapReply.Read(Message("1",
            BotTexts.JobSubmitted(User, "Headshot", "0123456789abcdef0123456789abcdef", 4, "a moderated prompt", 46, 50)));

        Assert.Equal(ReplyKind.JobSubmitted, reply.Kind);
        Assert.Equal("0123456789abcdef0123456789abcdef", reply.JobId);
        Assert.Equal(46, reply.CreditsRemaining);
        Assert.Equal(50, reply.CreditsTotal);
    }

    [Fact]
    public void A_message_with_attachments_is_a_result()
    {
        var reply = InsightFaceSwapReply.Read(Message("1", BotTexts.SwapResult(User, "me", 49, 50), attachments: 1));
        Assert.Equal(ReplyKind.Result, reply.Kind);
    }

    [Fact]
    public void Moderation_and_credit_refusals_are_recognised()
    {
        Assert.Equal(ReplyKind.Moderated, InsightFaceSwapReply.Read(Message("1", BotTexts.Moderated(User))).Kind);
        Assert.Equal(ReplyKind.CreditsExhausted, InsightFaceSwapReply.Read(Message("1", BotTexts.CreditsExhausted(User, 4, 1, 50))).Kind);
    }

    [Theory]
    [InlineData("<@1> Your command was received and is being processed…")]
    [InlineData("command sent")]
    [InlineData("Processing your request, please wait")]
    public void Acknowledgements_are_interim(string content)
    {
        Assert.Equal(ReplyKind.Interim, InsightFaceSwapReply.Read(Message("1", content)).Kind);
    }

    [Theory]
    [InlineData("idname moderated created")]
    [InlineData("Current default ID(s) set to `moderated`")]
    [InlineData("All idnames deleted")]
    [InlineData("idname me not found")]
    public void Echoed_user_text_and_plain_answers_are_text(string content)
    {
        Assert.Equal(ReplyKind.Text, InsightFaceSwapReply.Read(Message("1", content)).Kind);
    }

    [Fact]
    public void A_deferred_reply_is_loading()
    {
        Assert.Equal(ReplyKind.Loading, InsightFaceSwapReply.Read(Message("1", "", flags: 128)).Kind);
    }
}
