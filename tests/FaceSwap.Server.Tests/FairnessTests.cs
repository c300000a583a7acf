using System.Net;
using System.Text.Json.Nodes;
using FaceSwap.Core.Accounts;
using FaceSwap.Core.Dispatch;
using FaceSwap.Core.Jobs;
using FaceSwap.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FaceSwap.Server.Tests;

/// <summary>
/// One channel flooded with slow jobs neither blocks the local engine nor another user's channel. Judged by the
/// order of job events (the notifier's own sequence), not by how long anything took.
/// </summary>
public sealed class FairnessTests(ITestOutputHelper output)
{
    private const int Flood = 40;

    [Fact]
    public async Task A_flooded_channel_blocks_neither_the_local_engine_nor_another_users_channel()
    {
        await using var sandbox = await HostedSandbox.StartAsync(channels: 2, asyncResultDelay: TimeSpan.FromSeconds(1));
        await using var server = await RunningServer.StartAsync(sandbox.ServerSettings().ToDictionary(s => s.Key, s => (string?)s.Value));
        var ann = await server.BootstrapUserIdAsync();
        var (bob, bobToken) = await server.AddUserAsync("bob");
        var (flooded, quiet) = (sandbox.Channels[0], sandbox.Channels[1]);
        await server.AddAccountAsync(ann, flooded.Channel, EngineNames.Discord, flooded.Guild, flooded.Token);
        await server.AddAccountAsync(ann, "local", EngineNames.Local);
        await server.AddAccountAsync(bob.Id, quiet.Channel, EngineNames.Discord, quiet.Guild, quiet.Token);
        using var bobClient = server.CreateClient(bobToken);

        var events = new List<(string JobId, JobStatus Status)>();
        server.Service<JobNotifier>().Changed += job => { lock (events) events.Add((job.Id, job.Status)); };

        // An async command answers once the bot's first reply is on its job, so the flood is sent all at once
        // (as a flooding client would) and the test goes on when every job of it is stored.
        using var annClient = server.CreateClient(RunningServer.Token);
        annClient.Timeout = TimeSpan.FromMinutes(5);
        var floodAnswers = Enumerable.Range(0, Flood)
            .Select(i => SubmitAsync(annClient, "headshot", ("channel", flooded.Channel), ("prompt", $"flood{i}")))
            .ToList();
        await StoredAsync(server.Client, Flood, () => { lock (events) return events.Select(e => e.JobId).ToHashSet(); });
        // Submitted after the whole flood: a blocking listid on the local engine, and another user's job.
        var localAnswer = SubmitAsync(annClient, "listid", ("channel", "local"));
        var bobs = await SubmitAsync(bobClient, "headshot", ("channel", quiet.Channel), ("prompt", "bob"));
        var local = await localAnswer;
        var floodJobs = await Task.WhenAll(floodAnswers);

        Assert.Equal("completed", await StatusWhenDoneAsync(server.Client, local));
        Assert.Equal("completed", await StatusWhenDoneAsync(bobClient, bobs));
        foreach (var job in floodJobs) Assert.Equal("completed", await StatusWhenDoneAsync(server.Client, job));

        List<(string JobId, JobStatus Status)> seen;
        lock (events) seen = [.. events];
        int At(string jobId, JobStatus status) => seen.FindIndex(e => e.JobId == jobId && e.Status == status);
        var lastFloodStarted = floodJobs.Max(j => At(j, JobStatus.Started));
        output.WriteLine($"events: {seen.Count}; local completed at #{At(local, JobStatus.Completed)}, bob's completed at #{At(bobs, JobStatus.Completed)}, " +
                         $"the flood's last job started at #{lastFloodStarted}");
        Assert.True(lastFloodStarted >= 0);
        Assert.InRange(At(local, JobStatus.Completed), 0, lastFloodStarted - 1);
        Assert.InRange(At(bobs, JobStatus.Completed), 0, lastFloodStarted - 1);
    }

    private static async Task<string> SubmitAsync(HttpClient client, string command, params (string, object)[] parts)
    {
        var response = await client.PostAsync(command, Forms.Multipart(parts));
        var body = await response.BodyAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return (string)JsonNode.Parse(body)!["jobid"]!;
    }

    /// <summary>
    /// Waits until <paramref name="count"/> of the caller's jobs are stored: executing (GET /jobs) or already seen
    /// changing (a fast job may have finished before the last one was stored).
    /// </summary>
    private static async Task StoredAsync(HttpClient client, int count, Func<HashSet<string>> seen)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            var stored = seen();
            stored.UnionWith(JsonNode.Parse(await (await client.GetAsync("jobs")).BodyAsync())!.AsArray().Select(id => (string)id!));
            if (stored.Count >= count) return;
            Assert.True(DateTime.UtcNow < deadline, $"only {stored.Count} of {count} jobs were stored");
            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }
    }

    private static async Task<string> StatusWhenDoneAsync(HttpClient client, string jobId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"jobs/?jobid={jobId}");
            request.Headers.Add("Prefer", "wait=20");
            var job = await (await client.SendAsync(request)).JsonAsync();
            var status = (string)job["status"]!;
            if (status is "completed" or "failed" or "moderated" or "cancelled" || DateTime.UtcNow > deadline) return status;
        }
    }
}
