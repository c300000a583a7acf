using FaceSwap.Core.Accounts;
using FaceSwap.Core.Jobs;
using FaceSwap.Sandbox;

namespace FaceSwap.Discord.Tests;

/// <summary>
/// Discord's refusals of the account itself (developers/topics/opcodes-and-status-codes.mdx: 401; 403 with
/// JSON codes 40002, 50001, 50013; and the captcha challenge) mark the account and fail the job with why.
/// </summary>
public class AccountHealthTests(SandboxFixture fixture) : IClassFixture<SandboxFixture>
{
    [Theory]
    [InlineData(AccountRefusal.VerificationRequired, AccountHealth.Locked, "Discord account is locked", "40002")]
    [InlineData(AccountRefusal.Captcha, AccountHealth.Locked, "Discord account is locked", "captcha")]
    [InlineData(AccountRefusal.MissingAccess, AccountHealth.Forbidden, "Discord forbids this account in the channel", "50001")]
    [InlineData(AccountRefusal.MissingPermissions, AccountHealth.Forbidden, "Discord forbids this account in the channel", "50013")]
    public async Task A_refused_interaction_marks_the_account_and_fails_the_job_with_the_reason(
        AccountRefusal refusal, AccountHealth health, string error, string reason)
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);
        fixture.Sandbox.Faults.RefuseNext(refusal, 1, SandboxRoutes.CreateInteraction, engine.Account.Token);

        var run = await engine.RunAsync(Verb.ListId);

        Assert.Equal(error, run.Failed!.Value.Error);
        Assert.Contains(reason, run.Failed.Value.Details);
        Assert.Contains($"POST /account/{engine.Account.ChannelId}", run.Failed.Value.Details);
        var marked = Assert.Single(run.HealthChanges);
        Assert.Equal(health, marked.Health);
        Assert.Equal(run.Failed.Value.Details, marked.Detail);
        // A refusal is not retried: one attempt, no resend with fresh command ids.
        Assert.Equal(1, engine.Count("POST", "/interactions"));
        Assert.Equal(1, engine.Count("GET", "application-command-index"));
    }

    [Fact]
    public async Task Losing_access_while_waiting_fails_the_job_through_the_poller()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);
        fixture.Sandbox.Faults.RefuseNext(AccountRefusal.MissingAccess, 1, SandboxRoutes.GetMessages, engine.Account.Token);

        var run = await engine.RunAsync(Verb.ListId);

        Assert.Equal("Discord forbids this account in the channel", run.Failed!.Value.Error);
        Assert.Contains(run.HealthChanges, h => h.Health == AccountHealth.Forbidden);
        Assert.Equal(1, engine.Count("GET", "/messages?after=", 403));
    }

    [Fact]
    public void Forbidden_and_locked_accounts_are_not_picked()
    {
        var now = DateTimeOffset.UtcNow;
        var account = new Account { UserId = 1, Channel = "c", Engine = EngineNames.Discord };
        Assert.True(account.IsAvailable(now));
        Assert.False((account with { Health = AccountHealth.Forbidden }).IsAvailable(now));
        Assert.False((account with { Health = AccountHealth.Locked }).IsAvailable(now));
    }
}
