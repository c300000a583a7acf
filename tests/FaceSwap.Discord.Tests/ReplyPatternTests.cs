using FaceSwap.Core.Accounts;
using FaceSwap.Core.Jobs;
using FaceSwap.Sandbox;
using FaceSwap.Sandbox.Bot;
using FaceSwap.Sandbox.Discord;

namespace FaceSwap.Discord.Tests;

/// <summary>
/// The engine against every reply sequence the sandbox plays from discord-api-docs
/// (developers/interactions/receiving-and-responding.mdx): immediate, deferred LOADING edited in place,
/// interim + follow-up, async results as a new message or an edit, private refusals, and other users'
/// traffic in between.
/// </summary>
public class ReplyPatternTests
{
    /// <summary>The bot answers later than the engine's first read (250 ms), so LOADING and interim messages are seen first.</summary>
    private static Task<SandboxServer> StartAsync(ReplyPlanOptions replies, int replyDelayMs = 700, int asyncResultDelayMs = 600) => SandboxServer.StartAsync(new SandboxOptions
    {
        BotReplyDelay = TimeSpan.FromMilliseconds(replyDelayMs),
        AsyncResultDelay = TimeSpan.FromMilliseconds(asyncResultDelayMs),
        Replies = replies,
    });

    [Theory]
    [InlineData(ReplyPattern.Immediate)]
    [InlineData(ReplyPattern.Deferred)]
    [InlineData(ReplyPattern.FollowUp)]
    public async Task Each_reply_pattern_completes_the_job_with_the_bots_answer(ReplyPattern pattern)
    {
        await using var sandbox = await StartAsync(new() { Seed = 7, Patterns = [pattern], OtherTraffic = 0.9 });
        await using var engine = new EngineUnderTest(sandbox);

        var saved = await engine.SaveIdAsync("me");
        var swapped = await engine.RunAsync(Verb.SwapId, new() { ["idname"] = "me" }, new() { ["image"] = Images.Face(2) });

        Assert.Equal("idname me created", saved.Completed!.Value.Message.Content);
        Assert.True(swapped.Completed is not null, $"{swapped.Failed}");
        Assert.Single(swapped.Completed!.Value.Files);
        var answer = Ours(sandbox, engine).Single(m => m.Id.ToString() == swapped.Completed.Value.Message.MessageId);
        Assert.Contains("[SaveID: 'me']", answer.Content);
        Assert.NotEmpty(answer.Attachments);
        switch (pattern)
        {
            case ReplyPattern.Deferred:
                // The LOADING message was edited in place: the engine read it again by id.
                Assert.NotNull(answer.EditedTimestamp);
                Assert.True(engine.Count("GET", $"/messages/{answer.Id}") >= 1);
                break;
            case ReplyPattern.FollowUp:
                Assert.NotNull(answer.Interaction!.OriginalResponseMessageId);
                Assert.Contains(Ours(sandbox, engine), m => m.Id == answer.Interaction.OriginalResponseMessageId && m.Content.Contains("being processed"));
                break;
        }
        // Other users' answers, with the same words, were there and were left alone.
        Assert.Contains(sandbox.State.Messages(engine.Account.ChannelId), m => m.Interaction is { } i && i.User.Id != engine.Account.UserId);
    }

    [Theory]
    [InlineData(AsyncResultStyle.NewMessage)]
    [InlineData(AsyncResultStyle.EditFirstReply)]
    public async Task An_async_result_is_found_as_a_new_message_or_as_an_edit_of_a_passed_message(AsyncResultStyle style)
    {
        // The result comes well after "Job Submitted", so the engine has read (passed) that message before the bot
        // edits it, even on a loaded machine: an edit seen before its first version would prove nothing here.
        await using var sandbox = await StartAsync(new() { Seed = 11, AsyncResults = [style], OtherTraffic = 0.9 }, asyncResultDelayMs: 4000);
        await using var engine = new EngineUnderTest(sandbox);
        await engine.SaveIdAsync("me");
        var job = engine.Job(Verb.Headshot, new() { ["prompt"] = "a wizard" });

        await engine.RunAsync(job);

        Assert.True(job.Completed is not null, $"{job.Failed}");
        Assert.Single(job.Completed!.Value.Files);
        var submitted = job.Reports.Single(r => r.Message.Content?.Contains("Job Submitted") == true).Message;
        var result = job.Completed.Value.Message;
        Assert.Contains("Job Completed", result.Content);
        if (style == AsyncResultStyle.EditFirstReply)
        {
            Assert.Equal(submitted.MessageId, result.MessageId);
            Assert.True(engine.Count("GET", $"/messages/{result.MessageId}") >= 1);
        }
        else
        {
            Assert.NotEqual(submitted.MessageId, result.MessageId);
        }
    }

    [Fact]
    public async Task Several_results_awaited_as_edits_are_read_again_with_one_page_around_them()
    {
        await using var sandbox = await StartAsync(new() { Seed = 5, Patterns = [ReplyPattern.Immediate], AsyncResults = [AsyncResultStyle.EditFirstReply], OtherTraffic = 0.5 },
            asyncResultDelayMs: 4000);
        await using var engine = new EngineUnderTest(sandbox);
        await engine.SaveIdAsync("me");
        var jobs = Enumerable.Range(0, 3).Select(i => engine.Job(Verb.Headshot, new() { ["prompt"] = $"wizard {i}" })).ToList();

        await Task.WhenAll(jobs.Select(j => engine.RunAsync(j)));

        Assert.All(jobs, j => Assert.True(j.Completed is not null, $"{j.Failed}"));
        Assert.All(jobs, j => Assert.Contains("Job Completed", j.Completed!.Value.Message.Content));
        // While two or more "Job Submitted" messages wait for their edit, one page around them is read instead of
        // each by id: reads by id are only for a message waited on alone.
        var around = engine.Count("GET", "/messages?around=");
        var byId = engine.Matching("GET", "/messages/").Count;
        Assert.True(around >= 1, $"{around} reads around, {byId} by id");
    }

    [Theory]
    [InlineData(ReplyPattern.EphemeralRefusal)]
    [InlineData(ReplyPattern.NoResponse)]
    public async Task A_private_refusal_or_no_answer_fails_at_the_first_reply_deadline(ReplyPattern pattern)
    {
        await using var sandbox = await StartAsync(new() { Seed = 3, OtherTraffic = 0.9 });
        await using var engine = new EngineUnderTest(sandbox, s => s["FaceSwap:Discord:FirstReplyTimeout"] = "00:00:02");
        sandbox.Faults.PlayNext(pattern, 1);

        var run = await engine.RunAsync(Verb.ListId);

        Assert.Equal(DiscordEngine.NoAnswerError, run.Failed!.Value.Error);
        Assert.Null(run.Completed);
        // The channel is free again: the next command goes through.
        var next = await engine.RunAsync(Verb.ListId);
        Assert.True(next.Completed is not null, $"{next.Failed}");
    }

    /// <summary>
    /// Over random plans (all five patterns, heavy traffic from other users): every answer the bot made
    /// public to one of our commands is the one that command reports (never a wrong match), and a command
    /// fails for want of an answer only when there was none to see (never a missed one).
    /// </summary>
    [Fact]
    public async Task Over_random_plans_replies_are_never_mismatched_nor_missed()
    {
        var seeds = new[] { 1, 2, 3, Random.Shared.Next() };
        foreach (var seed in seeds)
        {
            await using var sandbox = await StartAsync(new()
            {
                Seed = seed,
                Patterns = Enum.GetValues<ReplyPattern>(),
                OtherTraffic = 0.6,
            }, replyDelayMs: 300);
            // The first-reply deadline is far beyond the bot's 0.3 s, so an answer that a busy machine delays (the bot
            // decoding a photo, a poll held up) is still seen in time: "missed" below means an engine bug, not load.
            await using var engine = new EngineUnderTest(sandbox, s => s["FaceSwap:Discord:FirstReplyTimeout"] = "00:00:05");
            var random = new Random(seed);
            for (var i = 0; i < 6; i++)
            {
                var before = sandbox.State.Ids.Next();
                var saveid = random.Next(2) == 0;
                var name = $"n{i}";
                var run = saveid
                    ? await engine.RunAsync(Verb.SaveId, new() { ["idname"] = name }, new() { ["image"] = Images.Face(i) })
                    : await engine.RunAsync(Verb.ListId);
                var after = sandbox.State.Ids.Next();
                var context = $"seed {seed}, command {i} ({(saveid ? "saveid" : "listid")}): {run.Failed}";

                var answers = Ours(sandbox, engine).Where(m => m.Id > before && m.Id < after && !m.Content.Contains("being processed")).ToList();
                if (answers.Count == 0)
                {
                    Assert.True(run.Failed?.Error == DiscordEngine.NoAnswerError, context);
                    continue;
                }
                Assert.True(run.Completed is not null, context);
                var answer = Assert.Single(answers);
                Assert.Equal(answer.Id.ToString(), run.Completed!.Value.Message.MessageId);
                Assert.Equal(answer.Content, run.Completed.Value.Message.Content);
                Assert.Equal(saveid ? $"idname {name} created" : null, saveid ? answer.Content : null);
            }
        }
    }

    /// <summary>Our user's messages from the bot: original responses and follow-ups to our interactions.</summary>
    private static IEnumerable<ChannelMessage> Ours(SandboxServer sandbox, EngineUnderTest engine) =>
        sandbox.State.Messages(engine.Account.ChannelId).Where(m => m.Interaction?.User.Id == engine.Account.UserId);
}
