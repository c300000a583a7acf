using FaceSwap.Discord.Rest;

namespace FaceSwap.Discord.Tests;

public class RateLimitTests
{
    private static Func<string, string?> Headers(params (string Name, string Value)[] headers) =>
        name => headers.Where(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).FirstOrDefault();

    [Fact]
    public void Parses_discords_bucket_headers()
    {
        var info = RateLimitInfo.Parse(Headers(
            ("X-RateLimit-Limit", "5"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1470173023.123"),
            ("X-RateLimit-Reset-After", "1.234"), ("X-RateLimit-Bucket", "abcd1234"), ("X-RateLimit-Scope", "user")), DateTimeOffset.UnixEpoch);

        Assert.Equal(5, info.Limit);
        Assert.Equal(0, info.Remaining);
        Assert.Equal(TimeSpan.FromSeconds(1.234), info.ResetAfter);
        Assert.Equal("abcd1234", info.Bucket);
        Assert.Equal("user", info.Scope);
        Assert.True(info.IsExhausted);
    }

    [Fact]
    public void A_bucket_with_requests_left_is_not_exhausted()
    {
        var info = RateLimitInfo.Parse(Headers(("X-RateLimit-Remaining", "3"), ("X-RateLimit-Reset-After", "4")), DateTimeOffset.UnixEpoch);
        Assert.False(info.IsExhausted);
    }

    [Fact]
    public void Falls_back_to_the_absolute_reset_when_reset_after_is_missing()
    {
        var now = new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
        var reset = now.AddSeconds(10.5).ToUnixTimeMilliseconds() / 1000.0;
        var info = RateLimitInfo.Parse(Headers(("X-RateLimit-Remaining", "0"),
            ("X-RateLimit-Reset", reset.ToString(System.Globalization.CultureInfo.InvariantCulture))), now);
        Assert.Equal(TimeSpan.FromSeconds(10.5), info.ResetAfter);
    }

    [Fact]
    public void Missing_headers_leave_everything_unknown()
    {
        var info = RateLimitInfo.Parse(_ => null, DateTimeOffset.UnixEpoch);
        Assert.Null(info.Remaining);
        Assert.Null(info.ResetAfter);
        Assert.False(info.IsExhausted);
    }

    [Fact]
    public void Retry_after_in_the_body_wins_over_the_header()
    {
        var retry = RetryAfter.Parse("""{"message":"You are being rate limited.","retry_after":0.75,"global":false}""",
            Headers(("Retry-After", "1")));
        Assert.Equal(TimeSpan.FromSeconds(0.75), retry.Delay);
        Assert.False(retry.Global);
    }

    [Fact]
    public void Retry_after_header_is_used_when_the_body_is_not_json()
    {
        var retry = RetryAfter.Parse("<html>slow down</html>", Headers(("Retry-After", "3")));
        Assert.Equal(TimeSpan.FromSeconds(3), retry.Delay);
    }

    [Fact]
    public void Global_limit_is_read_from_the_body_or_header()
    {
        Assert.True(RetryAfter.Parse("""{"retry_after":1,"global":true}""", _ => null).Global);
        Assert.True(RetryAfter.Parse(null, Headers(("X-RateLimit-Global", "true"), ("Retry-After", "2"))).Global);
    }

    [Fact]
    public void Gate_holds_requests_of_an_exhausted_bucket_shared_by_routes()
    {
        var gate = new RateLimitGate();
        var exhausted = new RateLimitInfo(5, 0, TimeSpan.FromSeconds(30), "shared", false, null);
        gate.Observe("t", "POST /interactions", new RateLimitInfo(5, 4, TimeSpan.FromSeconds(30), "shared", false, null));
        gate.Observe("t", "GET /channels/1/messages", exhausted);

        Assert.InRange(gate.DelayFor("t", "POST /interactions").TotalSeconds, 25, 30);
        Assert.Equal(TimeSpan.Zero, gate.DelayFor("other-token", "POST /interactions"));
    }

    [Fact]
    public void Gate_lets_requests_go_once_the_bucket_has_room_again()
    {
        var gate = new RateLimitGate();
        gate.Observe("t", "r", new RateLimitInfo(5, 0, TimeSpan.FromSeconds(30), "b", false, null));
        gate.Observe("t", "r", new RateLimitInfo(5, 4, TimeSpan.FromSeconds(5), "b", false, null));
        Assert.Equal(TimeSpan.Zero, gate.DelayFor("t", "r"));
    }

    [Fact]
    public void Concurrent_requests_do_not_both_spend_the_last_request_of_a_bucket()
    {
        var gate = new RateLimitGate();
        gate.Observe("t", "r", new RateLimitInfo(5, 1, TimeSpan.FromSeconds(10), "b", false, null));

        Assert.Equal(TimeSpan.Zero, gate.Reserve("t", "r"));
        Assert.True(gate.Reserve("t", "r") > TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Global_retry_after_holds_every_route_of_the_token()
    {
        var gate = new RateLimitGate();
        gate.ObserveRetryAfter("t", "r1", new RetryAfter(TimeSpan.FromSeconds(20), Global: true));
        Assert.True(gate.DelayFor("t", "any other route") > TimeSpan.FromSeconds(15));
    }
}
