using FaceSwap.Core.Accounts;

namespace FaceSwap.Server.Tests;

/// <summary>Which accounts channel rule (b) may pick: healthy ones with credits left today.</summary>
public sealed class AccountAvailabilityTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 15, 0, 0, TimeSpan.Zero);

    private static Account Account(AccountHealth health = AccountHealth.Ok, Credits? credits = null, DateTimeOffset? changed = null) => new()
    {
        UserId = 1, Channel = "1100000000000000001", Engine = EngineNames.Discord, Health = health, Credits = credits, HealthChanged = changed,
    };

    [Fact]
    public void A_healthy_account_with_credits_left_is_available() =>
        Assert.True(Account(credits: new Credits(Now, 50, 49)).IsAvailable(Now));

    [Fact]
    public void Credits_used_up_today_make_it_unavailable_until_the_next_utc_day()
    {
        var spent = Account(credits: new Credits(Now.AddHours(-1), 50, 50));
        Assert.False(spent.IsAvailable(Now));
        Assert.True(spent.IsAvailable(Now.AddDays(1).Date));
    }

    [Fact]
    public void An_exhausted_account_is_renewed_the_next_day()
    {
        var exhausted = Account(AccountHealth.CreditsExhausted, changed: Now.AddHours(-2));
        Assert.False(exhausted.IsAvailable(Now));
        Assert.True(exhausted.IsAvailable(new DateTimeOffset(2026, 11, 29, 0, 0, 1, TimeSpan.Zero)));
    }

    [Theory]
    [InlineData(AccountHealth.TokenInvalid)]
    [InlineData(AccountHealth.Locked)]
    public void A_broken_token_or_a_lock_needs_the_operator(AccountHealth health) =>
        Assert.False(Account(health, changed: Now.AddDays(-3)).IsAvailable(Now));
}
