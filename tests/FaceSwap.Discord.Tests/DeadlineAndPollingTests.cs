using System.Diagnostics.Metrics;
using FaceSwap.Core.Jobs;
using FaceSwap.Discord.Protocol;
using FaceSwap.Sandbox.Bot;
using Microsoft.Extensions.Time.Testing;

namespace FaceSwap.Discord.Tests;

/// <summary>
/// Deadlines and polling cadence on fake time: the engine's clock only moves when the test advances it,
/// while the sandbox answers over real HTTP. Nothing here sleeps to let time pass.
/// </summary>
public class DeadlineAndPollingTests(SandboxFixture fixture) : IClassFixture<SandboxFixture>
{
    private static void Slow(Dictionary<string, string?> s)
    {
        s["FaceSwap:Discord:FastPollInterval"] = "00:00:02";
        s["FaceSwap:Discord:FirstReplyTimeout"] = "00:00:30";
        s["FaceSwap:Discord:ReplyTimeout"] = "00:03:00";
    }

    [Fact]
    public async Task No_visible_answer_fails_the_job_at_the_first_reply_deadline()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var engine = new EngineUnderTest(fixture.Sandbox, Slow, time: clock);
        fixture.Sandbox.Faults.DropNextReplies(1);
        var job = engine.Job(Verb.ListId);

        var run = engine.RunAsync(job, TimeSpan.FromMinutes(2));
        await Eventually.TrueAsync(() => engine.Count("POST", "/interactions", 204) == 1 && engine.Pollers.For(engine.Account.ChannelId).IsRunning);

        clock.Advance(TimeSpan.FromSeconds(29));
        await Eventually.TrueAsync(() => engine.Count("GET", "/messages?after=") == 1);
        Assert.Null(job.Failed);

        clock.Advance(TimeSpan.FromSeconds(2));
        await run;

        Assert.Equal(DiscordEngine.NoAnswerError, job.Failed!.Value.Error);
        Assert.Contains("/listid", job.Failed.Value.Details);
        Assert.Contains("ephemeral", job.Failed.Value.Details);
        Assert.Null(job.Completed);
        // The read at 29 s, and at least one after the deadline (the engine's own, or the poller's due one if it began later).
        Assert.InRange(engine.Count("GET", "/messages?after="), 2, 3);
    }

    [Fact]
    public async Task An_answer_that_came_after_the_last_read_is_taken_by_a_read_at_the_deadline()
    {
        var replyDelay = fixture.Sandbox.Faults.BotReplyDelay;
        // The bot answers 2.5 s (real time) after the command, directly (under Discord's 3 s limit for an initial
        // response): after the engine's read at 29 s (fake time), which comes at once.
        fixture.Sandbox.Faults.BotReplyDelay = TimeSpan.FromSeconds(2.5);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
                await using var engine = new EngineUnderTest(fixture.Sandbox, Slow, time: clock);
                fixture.Sandbox.Faults.PlayNext(ReplyPattern.Immediate);
                var job = engine.Job(Verb.ListId);
                var run = engine.RunAsync(job, TimeSpan.FromMinutes(2));
                await Eventually.TrueAsync(() => engine.Count("POST", "/interactions", 204) == 1 && engine.Pollers.For(engine.Account.ChannelId).IsRunning);

                clock.Advance(TimeSpan.FromSeconds(29));
                await Eventually.TrueAsync(() => engine.Count("GET", "/messages?after=") == 1);
                if (fixture.Sandbox.UnansweredInteractions == 0)
                {
                    // A machine so busy that the bot answered before that read: this attempt shows nothing; again.
                    clock.Advance(TimeSpan.FromSeconds(2));
                    await run;
                    Assert.True(attempt < 4, "the bot answered before the engine's read in every attempt");
                    continue;
                }
                await Eventually.TrueAsync(() => fixture.Sandbox.UnansweredInteractions == 0);
                Assert.Null(job.Completed);

                // Past the deadline (30 s), before the poller's next read is due (31 s): only a read at the deadline finds it.
                clock.Advance(TimeSpan.FromSeconds(1.5));
                await run;
                Assert.True(job.Completed is not null, $"{job.Failed}");
                Assert.Equal(2, engine.Count("GET", "/messages?after="));
                return;
            }
        }
        finally
        {
            fixture.Sandbox.Faults.BotReplyDelay = replyDelay;
        }
    }

    [Fact]
    public async Task History_reads_grow_with_channels_not_with_waiting_jobs()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var engine = new EngineUnderTest(fixture.Sandbox, s =>
        {
            Slow(s);
            s["FaceSwap:Discord:AsyncResultTimeout"] = "00:00:30";
        }, time: clock);
        var other = TestAccount.Create(fixture.Sandbox);
        var sentAt = clock.GetUtcNow();
        var after = Snowflake.FromTime(sentAt - TimeSpan.FromSeconds(3));

        // After a restart: three async jobs of one channel wait for their results (a client waits on each,
        // so the channel is read at the fast pace), and a command of another channel for its first answer.
        var executions = Enumerable.Range(0, 3).Select(i =>
        {
            var job = engine.Job(Verb.Headshot);
            var state = new DiscordJobState
            {
                Nonce = Snowflake.NewNonce(sentAt), SentAt = sentAt, Phase = StepPhase.AwaitingResult,
                FirstReplyMessageId = Snowflake.FromTime(sentAt + TimeSpan.FromSeconds(1 + i)),
                TextTokens = [$"[jobid: {i:x32}]"],
            };
            return new FakeJobExecution(job.Job with { EngineState = state.Serialize(), Status = JobStatus.Started }, job.Account);
        }).ToList();
        var elsewhere = engine.Job(Verb.ListId);
        var firstAnswer = new DiscordJobState { Nonce = Snowflake.NewNonce(sentAt), SentAt = sentAt }.Serialize();
        executions.Add(new FakeJobExecution(elsewhere.Job with { EngineState = firstAnswer, Status = JobStatus.Started, Channel = other.ChannelId }, other.ToAccount()));
        var runs = executions.Select(e => engine.RunAsync(e, TimeSpan.FromMinutes(2))).ToList();
        await Eventually.TrueAsync(() => engine.Pollers.For(engine.Account.ChannelId).IsRunning && engine.Pollers.For(other.ChannelId).IsRunning);

        for (var tick = 1; tick <= 5; tick++)
        {
            clock.Advance(TimeSpan.FromSeconds(2));
            await Eventually.TrueAsync(() => Reads(engine, engine.Account.ChannelId) == tick && Reads(engine, other.ChannelId) == tick);
        }
        Assert.Equal(5, Reads(engine, engine.Account.ChannelId));
        Assert.Equal(5, Reads(engine, other.ChannelId));
        // Never from the start of the channel: from the send time, less the clock-skew margin.
        Assert.All(engine.Matching("GET", "/messages?after="), r => Assert.Contains($"after={after}&", r.PathAndQuery));

        clock.Advance(TimeSpan.FromSeconds(25));
        await Task.WhenAll(runs);
        Assert.All(executions.Take(3), e => Assert.Equal("InsightFaceSwap result timed out", e.Failed!.Value.Error));
        Assert.Equal(DiscordEngine.NoAnswerError, executions[3].Failed!.Value.Error);
        Assert.Equal(0, engine.Count("POST", "/interactions"));
    }

    [Fact]
    public async Task Requests_per_job_are_counted_and_bounded()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);
        var perJob = new List<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == engine.Meters && instrument.Name == "faceswap.discord.job.requests")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => { lock (perJob) perJob.Add(value); });
        listener.Start();

        var started = DateTimeOffset.UtcNow;
        for (var i = 0; i < 4; i++)
        {
            var run = await engine.RunAsync(Verb.SaveId, new() { ["idname"] = $"n{i}" }, new() { ["image"] = Images.Face(40 + i) });
            Assert.True(run.Completed is not null, $"{run.Failed}");
        }
        var elapsed = DateTimeOffset.UtcNow - started;

        Assert.Equal(4, perJob.Count);
        // The first job also learns the user and the command index; every later one asks for an upload
        // slot and sends the interaction, nothing else.
        Assert.InRange(perJob[0], 2, 4);
        Assert.All(perJob.Skip(1), n => Assert.InRange(n, 1, 3));
        Assert.Equal(4 + 2, engine.Count("GET", "/users/@me") + engine.Count("GET", "application-command-index") + engine.Count("POST", "/interactions"));
        // History reads: at most one per interval while anything waits.
        var reads = engine.Count("GET", "/messages?after=");
        Assert.InRange(reads, 4, (int)(elapsed / TimeSpan.FromMilliseconds(250)) + 4);
    }

    private static int Reads(EngineUnderTest engine, string channelId) =>
        engine.Matching("GET", $"/channels/{channelId}/messages?after=").Count;
}
