using FaceSwap.Client.Tests.Infrastructure;

namespace FaceSwap.Client.Tests;

/// <summary>Retries with backoff on 429 and 5xx, honouring Retry-After, and never a command that could run twice.</summary>
public sealed class RetryTests
{
    private const string Job = """{"jobid":"j1","verb":"faceswap-listid","status":"completed","channel":"1","content":"ids: me","code":200}""";

    /// <summary>A peer answering its first requests from <paramref name="failures"/>, then the job.</summary>
    private static Task<Peer> FlakyPeerAsync(params (int Status, string? RetryAfter)[] failures)
    {
        var count = 0;
        return Peer.StartAsync((request, response) =>
        {
            var n = Interlocked.Increment(ref count);
            if (n <= failures.Length)
            {
                var (status, retryAfter) = failures[n - 1];
                (string, string)[] headers = retryAfter is null ? [] : [("Retry-After", retryAfter)];
                return Peer.JsonAsync(response, status, $$"""{"error":"busy {{n}}","code":{{status}}}""", headers);
            }
            return Peer.JsonAsync(response, 200, Job);
        });
    }

    [Fact]
    public async Task A_command_is_retried_on_429_and_503_after_the_Retry_After_delays_with_one_key()
    {
        await using var peer = await FlakyPeerAsync((429, "7"), (503, "3"));
        var time = new TimerLog();
        var notices = new List<RetryNotice>();
        using var client = new FaceSwapClient(peer.BaseUrl, "token", o =>
        {
            o.TimeProvider = time;
            o.OnRetry = notice => { lock (notices) notices.Add(notice); };
        });

        var job = await time.RunAsync(client.ListIdAsync());

        Assert.Equal("j1", job.JobId);
        Assert.Equal(3, peer.Requests.Count);
        Assert.Equal([(TimeSpan.FromSeconds(7), (int?)429), (TimeSpan.FromSeconds(3), (int?)503)], notices.Select(n => (n.Delay, n.StatusCode)));
        // The retries waited as long as Retry-After said, on the client's clock.
        Assert.Equal([TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(3)], time.Delays);
        // Every attempt carried the same key, so the server could answer a repeat with the first job.
        var keys = peer.Requests.Select(r => r.Headers["idempotency-key"]).Distinct().ToList();
        Assert.Single(keys);
        Assert.False(string.IsNullOrWhiteSpace(keys[0]));
    }

    [Fact]
    public async Task A_read_is_retried_on_5xx_with_backoff_when_no_Retry_After_is_given()
    {
        await using var peer = await FlakyPeerAsync((500, null), (502, null));
        var time = new TimerLog();
        var notices = new List<RetryNotice>();
        using var client = new FaceSwapClient(peer.BaseUrl, "token", o =>
        {
            o.TimeProvider = time;
            o.RetryBaseDelay = TimeSpan.FromSeconds(1);
            o.OnRetry = notice => { lock (notices) notices.Add(notice); };
        });

        var job = await time.RunAsync(client.GetJobAsync("j1"));

        Assert.Equal("j1", job.JobId);
        Assert.Equal(3, peer.Requests.Count);
        Assert.Equal([1, 2], notices.Select(n => n.Attempt));
        // Exponential backoff with jitter around 1 s, then 2 s; what the client waited is what it announced.
        Assert.Equal(notices.Count, time.Delays.Count);
        Assert.All(notices.Zip(time.Delays), pair => Assert.InRange((pair.First.Delay - pair.Second).Duration(), TimeSpan.Zero, TimeSpan.FromMilliseconds(1)));
        Assert.All(notices, n => Assert.InRange(n.Delay, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(2 * n.Attempt)));
    }

    [Fact]
    public async Task A_command_without_an_idempotency_key_is_not_sent_twice()
    {
        await using var peer = await FlakyPeerAsync((503, "1"));
        using var client = new FaceSwapClient(peer.BaseUrl, "token", o => o.AutoIdempotencyKey = false);

        var refused = await Assert.ThrowsAsync<FaceSwapApiException>(() => client.ListIdAsync());

        Assert.Equal((503, "busy 1", "1"), (refused.Code, refused.Error, refused.RetryAfter));
        var request = Assert.Single(peer.Requests);
        Assert.False(request.Headers.ContainsKey("idempotency-key"));
    }

    [Fact]
    public async Task A_busy_channel_is_reported_with_its_executing_jobs_once_retries_run_out()
    {
        var count = 0;
        await using var peer = await Peer.StartAsync((request, response) =>
        {
            Interlocked.Increment(ref count);
            return Peer.JsonAsync(response, 429, """{"error":"Channel 1 is busy","code":429,"executingJobs":["a1","b2"]}""", ("Retry-After", "1"));
        });
        var time = new TimerLog();
        using var client = new FaceSwapClient(peer.BaseUrl, "token", o =>
        {
            o.TimeProvider = time;
            o.MaxRetries = 2;
        });

        var refused = await Assert.ThrowsAsync<FaceSwapApiException>(() => time.RunAsync(client.SwapIdAsync("me", TestServer.Face())));

        Assert.Equal(3, count);
        Assert.Equal((429, "Channel 1 is busy"), (refused.Code, refused.Error));
        Assert.Equal(["a1", "b2"], refused.ExecutingJobs);
    }
}
