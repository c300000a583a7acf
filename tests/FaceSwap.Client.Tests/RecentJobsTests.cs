using FaceSwap.Client.Tests.Infrastructure;

namespace FaceSwap.Client.Tests;

/// <summary>The server's job list (<c>GET /jobs/list</c>) and stream of all the caller's jobs (<c>GET /jobs/events</c>), through the client.</summary>
public sealed class RecentJobsTests
{
    [Fact]
    public async Task Paging_over_more_jobs_than_one_page_loses_none_and_repeats_none()
    {
        await using var server = await TestServer.StartAsync();
        using var client = server.Client();
        var submitted = new List<string>();
        for (var i = 0; i < 7; i++) submitted.Add((await client.ListIdAsync()).JobId);

        var first = await client.ListRecentJobsAsync(limit: 3);
        Assert.Equal(3, first.Jobs.Count);
        Assert.NotNull(first.Next);
        Assert.Equal(submitted[^1], first.Jobs[0].JobId);

        var all = new List<Job>();
        await foreach (var job in client.ListAllRecentJobsAsync(pageSize: 3)) all.Add(job);
        Assert.Equal(7, all.Count);
        Assert.Equal(submitted.AsEnumerable().Reverse(), all.Select(j => j.JobId));
        Assert.All(all, j => Assert.Equal(JobStatus.Completed, j.Status));
        var last = await client.ListRecentJobsAsync(limit: 3, before: (await client.ListRecentJobsAsync(limit: 6)).Next);
        Assert.Equal(submitted[0], Assert.Single(last.Jobs).JobId);
        Assert.Null(last.Next);
    }

    [Fact]
    public async Task WatchAllJobs_sees_a_job_submitted_after_it_started_go_to_completed()
    {
        // The bot's result comes 3 s after its first reply: a stream that keeps only the latest change of each job
        // until it is written still shows the started job, however loaded the machine is.
        await using var server = await TestServer.StartAsync(("FaceSwap:Sandbox:AsyncResultDelay", "00:00:03"));
        using var client = server.Client();
        await client.SaveIdAsync("me", TestServer.Face());
        var seen = await WatchOneJobAsync(client, () => client.HeadshotAsync("me, an astronaut", options: new CommandOptions { RespondAsync = true }));

        Assert.Equal(JobStatus.Completed, seen.Jobs[^1].Status);
        Assert.Contains(seen.Jobs, j => j.Status == JobStatus.Started);
        Assert.Equal(seen.Jobs.Count, seen.Jobs.DistinctBy(j => (j.Status, j.Updated, j.Content)).Count());
    }

    [Fact]
    public async Task WatchAllJobs_reconnects_when_the_server_ends_its_stream_and_yields_nothing_twice()
    {
        // Each stream lives one second; the job takes longer, so the watch reconnects while it runs.
        await using var server = await TestServer.StartAsync(("FaceSwap:Sandbox:AsyncResultDelay", "00:00:03"),
            ("FaceSwap:Jobs:StreamLifetime", "00:00:01"));
        using var client = server.Client();
        await client.SaveIdAsync("me", TestServer.Face());
        var seen = await WatchOneJobAsync(client, () => client.HeadshotAsync("me, a mad king", options: new CommandOptions { RespondAsync = true }));

        Assert.True(seen.Subscriptions >= 2, $"subscribed {seen.Subscriptions} time(s)");
        Assert.Equal(JobStatus.Completed, seen.Jobs[^1].Status);
        Assert.Equal(seen.Jobs.Count, seen.Jobs.DistinctBy(j => (j.Status, j.Updated, j.Content)).Count());
    }

    /// <summary>Watches all jobs, submits one once the stream is subscribed, and collects that job's changes until it ends.</summary>
    private static async Task<(List<Job> Jobs, int Subscriptions)> WatchOneJobAsync(FaceSwapClient client, Func<Task<Job>> submit)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscriptions = 0;
        var watched = client.WatchAllJobsAsync(() =>
        {
            Interlocked.Increment(ref subscriptions);
            subscribed.TrySetResult();
        }, timeout.Token).GetAsyncEnumerator(timeout.Token);
        await using var _ = watched;
        var next = watched.MoveNextAsync().AsTask();
        await subscribed.Task.WaitAsync(timeout.Token);
        var jobId = (await submit()).JobId;
        var jobs = new List<Job>();
        while (await next)
        {
            if (watched.Current.JobId == jobId) jobs.Add(watched.Current);
            if (jobs.Count > 0 && jobs[^1].IsTerminal) break;
            next = watched.MoveNextAsync().AsTask();
        }
        return (jobs, Volatile.Read(ref subscriptions));
    }

    [Fact]
    public async Task Against_a_server_without_the_job_list_the_client_says_it_is_not_supported()
    {
        await using var peer = await Peer.StartAsync((_, response) => Peer.JsonAsync(response, 404, """{"error":"Not found","code":404}"""));
        using var client = new FaceSwapClient(peer.BaseUrl, "user:1-abc");

        var list = await Assert.ThrowsAsync<FaceSwapApiException>(() => client.ListRecentJobsAsync());
        Assert.Equal((404, "This server does not support GET /v1/faceswap/jobs/list"), (list.Code, list.Error));
        var watch = await Assert.ThrowsAsync<FaceSwapApiException>(async () =>
        {
            await foreach (var _ in client.WatchAllJobsAsync()) { }
        });
        Assert.Equal((404, "This server does not support GET /v1/faceswap/jobs/events"), (watch.Code, watch.Error));
    }
}
