using System.Diagnostics;
using FaceSwap.Core.Jobs;

namespace FaceSwap.Discord.Tests;

public class RecoveryAndPollingTests(SandboxFixture fixture) : IClassFixture<SandboxFixture>
{
    [Fact]
    public async Task A_restarted_run_finds_the_reply_without_resending()
    {
        var account = TestAccount.Create(fixture.Sandbox);
        FakeJobExecution first;
        await using (var before = new EngineUnderTest(fixture.Sandbox, account: account))
        {
            await before.SaveIdAsync("me");
            first = before.Job(Verb.SwapId, new() { ["idname"] = "me" }, new() { ["image"] = Images.Face(21) });
            using var cts = new CancellationTokenSource();
            before.AfterRequest = seen =>
            {
                if (seen.Method == "POST" && seen.PathAndQuery.EndsWith("/interactions", StringComparison.Ordinal))
                {
                    cts.Cancel(); // the process "dies" right after Discord took the interaction
                }
            };
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => before.Engine.RunAsync(first, cts.Token));
            Assert.Equal(2, before.Count("POST", "/interactions"));
            Assert.Null(first.Completed);
        }

        // The bot answers while nobody is running the job.
        await Eventually.TrueAsync(() => OurSwapResults(account) == 1);

        await using var after = new EngineUnderTest(fixture.Sandbox, account: account);
        var resumed = new FakeJobExecution(first.Job, account.ToAccount(), new Dictionary<string, Core.Engines.InputContent>());
        var saved = Protocol.DiscordJobState.Parse(resumed.Job.EngineState)!;
        Assert.NotNull(saved.SentAt);

        await after.RunAsync(resumed);

        Assert.True(resumed.Completed is not null, $"{resumed.Failed}");
        // It read the channel from the moment the interaction was sent (less the clock-skew margin, and not
        // before the saveid answer the first process had already taken), never from the channel's start.
        Assert.NotNull(saved.After);
        var from = Protocol.Snowflake.Max(Protocol.Snowflake.FromTime(saved.SentAt!.Value - TimeSpan.FromSeconds(3)), saved.After!);
        var firstRead = after.Matching("GET", "/messages?after=")[0];
        Assert.Contains($"after={from}&", firstRead.PathAndQuery);
        Assert.Single(resumed.Completed!.Value.Files);
        Assert.Equal(0, after.Count("POST", "/interactions"));
        Assert.Equal(0, after.Count("POST", "/attachments"));
        Assert.Equal(1, OurSwapResults(account));
    }

    [Fact]
    public async Task A_fresh_process_never_takes_an_answer_an_earlier_job_of_the_channel_recorded()
    {
        // A margin wider than the whole test makes the earlier answer fall inside every later command's window,
        // so only what the earlier job recorded keeps the later command off it (as on a node that took the
        // channel over, or after a restart, within the default 3 s).
        void WideMargin(Dictionary<string, string?> settings) => settings["FaceSwap:Discord:ClockSkewMargin"] = "00:10:00";
        var account = TestAccount.Create(fixture.Sandbox);
        FakeJobExecution first;
        await using (var before = new EngineUnderTest(fixture.Sandbox, WideMargin, account))
        {
            first = await before.SaveIdAsync("first");
        }
        var firstAnswer = first.Completed!.Value.Message.MessageId!;

        await using var after = new EngineUnderTest(fixture.Sandbox, WideMargin, account);
        var second = await after.SaveIdAsync("second");

        Assert.NotEqual(firstAnswer, second.Completed!.Value.Message.MessageId);
        Assert.Equal("idname second created", second.Completed!.Value.Message.Content);
        var firstRead = after.Matching("GET", "/messages?after=")[0];
        Assert.Contains($"after={firstAnswer}&", firstRead.PathAndQuery);
    }

    /// <summary>The bot's results for our user (other users' answers in the channel can read the same).</summary>
    private int OurSwapResults(TestAccount account) => fixture.Sandbox.State.Messages(account.ChannelId)
        .Count(m => m.Interaction?.User.Id == account.UserId && m.Content.Contains("[SaveID: 'me']") && m.Attachments.Count > 0);

    [Fact]
    public async Task A_restarted_async_job_waits_for_its_result_without_resending()
    {
        var account = TestAccount.Create(fixture.Sandbox);
        FakeJobExecution first;
        await using (var before = new EngineUnderTest(fixture.Sandbox, account: account))
        {
            await before.SaveIdAsync("me");
            await before.RunAsync(Verb.SetId, new() { ["idname"] = "me" });
            first = before.Job(Verb.Headshot, new() { ["prompt"] = "an astronaut" });
            using var cts = new CancellationTokenSource();
            first.OnSave = state =>
            {
                if (state.Contains("first_reply_message_id", StringComparison.Ordinal))
                {
                    cts.Cancel(); // dies after the "Job Submitted" reply, before the result
                }
            };
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => before.Engine.RunAsync(first, cts.Token));
        }

        await using var after = new EngineUnderTest(fixture.Sandbox, account: account);
        var resumed = new FakeJobExecution(first.Job, account.ToAccount());
        await after.RunAsync(resumed);

        Assert.True(resumed.Completed is not null, $"{resumed.Failed}");
        Assert.Contains("Job Completed", resumed.Completed!.Value.Message.Content);
        Assert.Equal(0, after.Count("POST", "/interactions"));
    }

    [Fact]
    public async Task A_resumed_run_past_its_deadline_reads_once_from_its_send_time_and_fails_clearly()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);
        var job = engine.Job(Verb.ListId);
        var sentAt = DateTimeOffset.UtcNow - TimeSpan.FromMinutes(1);
        var state = new Protocol.DiscordJobState { Nonce = Protocol.Snowflake.NewNonce(sentAt), SentAt = sentAt };
        var resumed = new FakeJobExecution(job.Job with { EngineState = state.Serialize(), Status = JobStatus.Started }, job.Account);

        await engine.RunAsync(resumed);

        Assert.Equal(DiscordEngine.NoAnswerError, resumed.Failed!.Value.Error);
        Assert.Equal(0, engine.Count("POST", "/interactions"));
        var read = Assert.Single(engine.Matching("GET", "/messages?after="));
        Assert.Contains($"after={Protocol.Snowflake.FromTime(sentAt - TimeSpan.FromSeconds(3))}&", read.PathAndQuery);
    }

    [Fact]
    public async Task One_poller_serves_several_concurrent_jobs_of_a_channel()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);
        var names = new[] { "ann", "ben", "cid", "dan" };
        var jobs = names.Select((n, i) => engine.Job(Verb.SaveId, new() { ["idname"] = n }, new() { ["image"] = Images.Face(30 + i) })).ToList();

        var clock = Stopwatch.StartNew();
        await Task.WhenAll(jobs.Select(j => engine.RunAsync(j)));
        clock.Stop();

        for (var i = 0; i < names.Length; i++)
        {
            Assert.True(jobs[i].Completed is not null, $"{jobs[i].Failed}");
            Assert.Equal($"idname {names[i]} created", jobs[i].Completed!.Value.Message.Content);
        }

        // Four pollers would poll about four times as often; one poller polls at most once per interval
        // (plus a few early polls when a wait is added or removed).
        var polls = engine.Count("GET", "after=");
        var onePollerBound = clock.Elapsed.TotalSeconds / 0.25 + 2 * names.Length + 2;
        Assert.InRange(polls, 1, (int)onePollerBound);
        Assert.Equal(engine.Pollers.For(engine.Account.ChannelId).PollCount, polls);
        Assert.Equal(names.Length, engine.Count("POST", "/interactions", 204));
    }

    [Fact]
    public async Task The_poller_stops_when_no_job_waits()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);
        await engine.RunAsync(Verb.ListId);

        await Eventually.TrueAsync(() => !engine.Pollers.For(engine.Account.ChannelId).IsRunning);
    }

    [Fact]
    public async Task The_api_base_url_is_read_at_use()
    {
        Assert.Equal("https://discord.com/api/v10", new DiscordEngineOptions().ApiBaseUrl);

        await using var engine = new EngineUnderTest(fixture.Sandbox, s => s["FaceSwap:Discord:ApiBaseUrl"] = "http://127.0.0.1:9/api/v10");
        var options = engine.Options;
        options.CurrentValue.ApiBaseUrl = fixture.Sandbox.ApiBaseUrl.ToString(); // as the server does after starting the sandbox

        var run = await engine.RunAsync(Verb.ListId);
        Assert.True(run.Completed is not null, $"{run.Failed}");
    }
}
