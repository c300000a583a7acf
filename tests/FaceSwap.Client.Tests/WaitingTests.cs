using FaceSwap.Client.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FaceSwap.Client.Tests;

/// <summary>
/// Waiting for a job without sleeping: held requests (<c>Prefer: wait</c>) or the job stream against our
/// server; polling with backoff against a server that has neither (as the commercial service).
/// </summary>
public sealed class WaitingTests
{
    /// <summary>
    /// A client through dependency injection with a log under its retry handler. Its polling clock never moves,
    /// so a client that fell back to sleeping between polls would never finish.
    /// </summary>
    private static (FaceSwapClient Client, RequestLog Log, ServiceProvider Provider) LoggedClient(Uri baseUrl, string token,
        TimeSpan? longPoll = null)
    {
        var log = new RequestLog();
        var services = new ServiceCollection();
        services.AddFaceSwapClient(o =>
        {
            o.BaseUrl = baseUrl;
            o.Token = token;
            o.TimeProvider = new FakeTimeProvider();
            o.MinPollInterval = TimeSpan.FromHours(1);
            if (longPoll is { } wait) o.LongPollWait = wait;
        }).AddHttpMessageHandler(() => log);
        var provider = services.BuildServiceProvider();
        return (provider.GetRequiredService<FaceSwapClient>(), log, provider);
    }

    [Fact]
    public async Task WaitForCompletion_holds_requests_until_an_async_job_ends_and_asks_again_at_once()
    {
        // The bot's result comes 5 s after its first reply (room for a loaded machine to answer the submit before
        // it); each held request lasts at most 1 s.
        await using var server = await TestServer.StartAsync(("FaceSwap:Sandbox:AsyncResultDelay", "00:00:05"));
        var (client, log, provider) = LoggedClient(server.BaseUrl, TestServer.Token, longPoll: TimeSpan.FromSeconds(1));
        await using var _ = provider;
        await client.SaveIdAsync("me", TestServer.Face());
        var job = await client.HeadshotAsync("me, an astronaut");
        Assert.Equal(JobStatus.Started, job.Status);
        log.Sent.Clear();

        var seen = new List<JobStatus>();
        var done = await client.WaitForCompletionAsync(job.JobId, new SynchronousProgress<Job>(j => seen.Add(j.Status)))
            .WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(JobStatus.Completed, done.Status);
        Assert.NotEmpty(done.Attachments!);
        Assert.Equal(JobStatus.Completed, seen[^1]);
        // Held requests one after the other (the polling clock never moves, so none slept), about one a second: no tight loop.
        var reads = log.Sent.Where(r => r.PathAndQuery.StartsWith("/v1/faceswap/jobs/?jobid=")).ToList();
        Assert.InRange(reads.Count, 2, 30);
        Assert.All(reads, r => Assert.Equal("wait=1", r.Prefer));
    }

    [Fact]
    public async Task WaitForCompletion_of_a_job_answered_at_once_finishes_a_respond_async_blocking_job()
    {
        await using var server = await TestServer.StartAsync();
        var (client, log, provider) = LoggedClient(server.BaseUrl, TestServer.Token);
        await using var _ = provider;
        var job = await client.SaveIdAsync("me", TestServer.Face(), new CommandOptions { RespondAsync = true });
        Assert.Equal(JobStatus.Created, job.Status);
        var done = await client.WaitForCompletionAsync(job.JobId).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(JobStatus.Completed, done.Status);
        Assert.All(log.Sent.Where(r => r.PathAndQuery.StartsWith("/v1/faceswap/jobs/")), r => Assert.Equal("wait=50", r.Prefer));
    }

    [Fact]
    public async Task WatchJob_streams_every_change_on_one_connection()
    {
        // The job is answered at once (respond-async) and the bot's result comes 3 s after its first reply, so the
        // stream opens while the job still runs and sees it started, however loaded the machine is.
        await using var server = await TestServer.StartAsync(("FaceSwap:Sandbox:AsyncResultDelay", "00:00:03"));
        var (client, log, provider) = LoggedClient(server.BaseUrl, TestServer.Token);
        await using var _ = provider;
        await client.SaveIdAsync("me", TestServer.Face());
        var job = await client.HeadshotAsync("me, an astronaut", options: new CommandOptions { RespondAsync = true });
        log.Sent.Clear();

        var snapshots = new List<Job>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var snapshot in client.WatchJobAsync(job.JobId, timeout.Token)) snapshots.Add(snapshot);

        Assert.Equal(JobStatus.Completed, snapshots[^1].Status);
        Assert.Contains(snapshots, s => s.Status == JobStatus.Started && s.Content!.Contains("Job Submitted"));
        Assert.Equal(snapshots.Count, snapshots.DistinctBy(s => (s.Status, s.Updated, s.Content)).Count());
        var sent = Assert.Single(log.Sent);
        Assert.StartsWith("/v1/faceswap/jobs/stream?jobid=", sent.PathAndQuery);
    }

    /// <summary>
    /// The commercial service's answers: the job from <c>GET /jobs/?jobid=</c> (started three times, then
    /// completed), no <c>Preference-Applied</c>, and no <c>/jobs/stream</c>.
    /// </summary>
    private static Task<Peer> CommercialPeerAsync(TimeProvider clock, List<DateTimeOffset> readsAt)
    {
        var reads = 0;
        return Peer.StartAsync((request, response) =>
        {
            if (request.PathAndQuery.StartsWith("/v1/faceswap/jobs/?jobid=j1"))
            {
                lock (readsAt) readsAt.Add(clock.GetUtcNow());
                var status = Interlocked.Increment(ref reads) <= 3 ? "started" : "completed";
                return Peer.JsonAsync(response, 200,
                    $$"""{"jobid":"j1","verb":"faceswap-headshot","status":"{{status}}","created":"2023-09-09T02:04:49.667Z","updated":"2023-09-09T02:04:49.667Z","content":"<@1>  Picsi.Ai Headshot Job Submitted [jobid: 8a1f] [credits: 4]","code":200}""");
            }
            return Peer.JsonAsync(response, 404, """{"error":"Not found","code":404}""");
        });
    }

    [Fact]
    public async Task Without_Preference_Applied_the_client_polls_with_growing_intervals()
    {
        var time = new TimerLog();
        var readsAt = new List<DateTimeOffset>();
        await using var peer = await CommercialPeerAsync(time, readsAt);
        using var client = new FaceSwapClient(peer.BaseUrl, "user:1-abc", o =>
        {
            o.TimeProvider = time;
            o.MinPollInterval = TimeSpan.FromSeconds(2);
            o.MaxPollInterval = TimeSpan.FromSeconds(5);
        });

        var done = await time.RunAsync(client.WaitForCompletionAsync("j1"));

        Assert.Equal(JobStatus.Completed, done.Status);
        // Unchanged answers double the interval up to its maximum: 2 s, 4 s, then 5 s.
        Assert.Equal([TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5)], time.Delays);
        Assert.Equal([0.0, 2, 6, 11], readsAt.Select(t => (t - readsAt[0]).TotalSeconds));
        Assert.All(peer.Requests.Where(r => r.PathAndQuery.StartsWith("/v1/faceswap/jobs/?")), r => Assert.Equal("wait=50", r.Headers["prefer"]));
    }

    [Fact]
    public async Task Without_a_job_stream_WatchJob_falls_back_to_polling()
    {
        var time = new TimerLog();
        var readsAt = new List<DateTimeOffset>();
        await using var peer = await CommercialPeerAsync(time, readsAt);
        using var client = new FaceSwapClient(peer.BaseUrl, "user:1-abc", o => o.TimeProvider = time);

        var snapshots = await time.RunAsync(Collect(client.WatchJobAsync("j1")));

        Assert.Equal([JobStatus.Started, JobStatus.Completed], snapshots.Select(s => s.Status));
        Assert.Equal("/v1/faceswap/jobs/stream?jobid=j1", peer.Requests.First().PathAndQuery);
        Assert.Equal(4, readsAt.Count);
    }

    private static async Task<List<Job>> Collect(IAsyncEnumerable<Job> jobs)
    {
        var list = new List<Job>();
        await foreach (var job in jobs) list.Add(job);
        return list;
    }

    [Fact]
    public async Task A_missing_job_is_reported_not_waited_for()
    {
        await using var server = await TestServer.StartAsync();
        using var client = server.Client();
        var missing = await Assert.ThrowsAsync<FaceSwapApiException>(() => client.WaitForCompletionAsync("0123456789abcdef0123456789abcdef"));
        Assert.Equal(404, missing.Code);
        var watched = await Assert.ThrowsAsync<FaceSwapApiException>(() => Collect(client.WatchJobAsync("0123456789abcdef0123456789abcdef")));
        Assert.Equal((404, "Unable to locate job 0123456789abcdef0123456789abcdef"), (watched.Code, watched.Error));
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
