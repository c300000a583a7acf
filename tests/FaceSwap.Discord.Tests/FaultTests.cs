using FaceSwap.Core.Accounts;
using FaceSwap.Core.Jobs;
using FaceSwap.Sandbox;

namespace FaceSwap.Discord.Tests;

/// <summary>The sandbox's faults, one by one: what Discord or the bot can do to a job.</summary>
public class FaultTests(SandboxFixture fixture) : IClassFixture<SandboxFixture>
{
    private SandboxFaults Faults => fixture.Sandbox.Faults;

    [Fact]
    public async Task A_429_is_waited_out_for_retry_after_and_the_job_completes()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);
        Faults.RateLimitNext(1, TimeSpan.FromSeconds(1.2), SandboxRoutes.CreateInteraction);

        var run = await engine.RunAsync(Verb.ListId);

        Assert.True(run.Completed is not null, $"{run.Failed}");
        var sends = engine.Matching("POST", "/interactions");
        Assert.Equal([429, 204], sends.Select(s => s.Status));
        Assert.True(sends[1].At - sends[0].At >= TimeSpan.FromSeconds(1.1), $"retried after {sends[1].At - sends[0].At}");
    }

    [Fact]
    public async Task An_exhausted_bucket_is_waited_for_instead_of_hitting_429()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);

        // The sandbox allows 5 interactions per 5 s per token: the sixth must wait for the reset.
        for (var i = 0; i < 6; i++)
        {
            var run = await engine.RunAsync(Verb.ListId);
            Assert.True(run.Completed is not null, $"{run.Failed}");
        }

        Assert.Equal(6, engine.Count("POST", "/interactions", 204));
        Assert.DoesNotContain(engine.Requests, r => r.Status == 429);
    }

    [Fact]
    public async Task Server_errors_are_retried()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);
        Faults.FailNext(2, 503, SandboxRoutes.CreateInteraction);

        var run = await engine.RunAsync(Verb.ListId);

        Assert.True(run.Completed is not null, $"{run.Failed}");
        Assert.Equal([503, 503, 204], engine.Matching("POST", "/interactions").Select(s => s.Status));
    }

    [Fact]
    public async Task Server_errors_beyond_the_retry_bound_fail_the_job()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox, s => s["FaceSwap:Discord:MaxServerErrorRetries"] = "1");
        Faults.FailNext(2, 502, SandboxRoutes.GetCommandIndex);

        var run = await engine.RunAsync(Verb.ListId);

        Assert.Equal("Discord request failed", run.Failed!.Value.Error);
        Assert.Contains("502", run.Failed.Value.Details);
        Assert.Equal(0, engine.Count("POST", "/interactions"));
    }

    [Fact]
    public async Task A_slow_reply_is_still_matched()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);
        var job = engine.Job(Verb.ListId);
        Faults.BotReplyDelay = TimeSpan.FromSeconds(2);
        try
        {
            await engine.RunAsync(job);
        }
        finally
        {
            Faults.BotReplyDelay = TimeSpan.Zero;
        }

        Assert.True(job.Completed is not null, $"{job.Failed}");
        Assert.True(engine.Count("GET", "after=") >= 3, "polled while waiting");
    }

    [Fact]
    public async Task An_invalid_token_marks_the_account_and_fails_the_job()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);
        Faults.InvalidateToken(engine.Account.Token);

        var run = await engine.RunAsync(Verb.ListId);

        Assert.Equal("Discord token is invalid", run.Failed!.Value.Error);
        Assert.Contains($"POST /account/{engine.Account.ChannelId}", run.Failed.Value.Details);
        Assert.DoesNotContain(engine.Account.Token, run.Failed.Value.Details);
        var health = Assert.Single(run.HealthChanges);
        Assert.Equal(AccountHealth.TokenInvalid, health.Health);
    }

    [Fact]
    public async Task A_token_revoked_while_waiting_fails_the_job_through_the_poller()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);
        Faults.BotReplyDelay = TimeSpan.FromSeconds(1);
        engine.AfterRequest = seen =>
        {
            if (seen.Method == "POST" && seen.PathAndQuery.EndsWith("/interactions", StringComparison.Ordinal))
            {
                Faults.InvalidateToken(engine.Account.Token);
            }
        };
        try
        {
            var run = await engine.RunAsync(Verb.ListId);
            Assert.Equal("Discord token is invalid", run.Failed!.Value.Error);
            Assert.Contains(run.HealthChanges, h => h.Health == AccountHealth.TokenInvalid);

            // The bot still answers later; wait for it so its pending reply cannot take a fault armed by
            // the next test (bot faults apply to whichever interaction the bot handles next).
            await Eventually.TrueAsync(() => fixture.Sandbox.State.Messages(engine.Account.ChannelId)
                .Any(m => m.Interaction?.User.Id == engine.Account.UserId && m.Content.Contains("Saved idnames")));
        }
        finally
        {
            Faults.BotReplyDelay = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task A_moderated_input_ends_the_job_moderated()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);
        await engine.SaveIdAsync("me");
        Faults.ModerateNext(1);

        var run = await engine.RunAsync(Verb.SwapId, new() { ["idname"] = "me" }, new() { ["image"] = Images.Face(11) });

        Assert.True(run.Failed!.Value.Moderated);
        Assert.Contains("moderated", run.Failed.Value.Message!.Content);
        Assert.Equal(JobStatus.Moderated, run.Job.Status);
    }

    [Fact]
    public async Task Exhausted_daily_credits_fail_the_job_and_mark_the_account()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);
        fixture.Sandbox.State.Credits.SetUsed(engine.Account.UserId, fixture.Sandbox.State.Credits.Total);

        var run = await engine.RunAsync(Verb.SaveId, new() { ["idname"] = "me" }, new() { ["image"] = Images.Face(12) });

        Assert.Equal("InsightFaceSwap daily credits exhausted", run.Failed!.Value.Error);
        Assert.Contains(run.HealthChanges, h => h.Health == AccountHealth.CreditsExhausted);
    }

    [Fact]
    public async Task Cancellation_stops_waiting_promptly()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox, s => s["FaceSwap:Discord:ReplyTimeout"] = "00:05:00");
        Faults.DropNextReplies(1);
        var job = engine.Job(Verb.ListId);
        using var cts = new CancellationTokenSource();
        // Cancelled while it waits for the reply: once the interaction is accepted (and so has taken the dropped reply,
        // which would otherwise stay armed for the next test's interaction), however long sending it took.
        engine.AfterRequest = seen =>
        {
            if (seen.Method == "POST" && seen.PathAndQuery.EndsWith("/interactions", StringComparison.Ordinal) && seen.Status == 204)
            {
                cts.CancelAfter(TimeSpan.FromMilliseconds(700));
            }
        };

        var started = DateTimeOffset.UtcNow;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.Engine.RunAsync(job, cts.Token));

        Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(20));
        Assert.Null(job.Failed);
        Assert.Null(job.Completed);
    }
}
