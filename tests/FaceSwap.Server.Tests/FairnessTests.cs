using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using FaceSwap.Core.Accounts;
using FaceSwap.Core.Dispatch;
using FaceSwap.Core.Jobs;
using FaceSwap.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
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

        // The flood, all at once (an async command may be answered only once the bot has replied to it).
        using var annClient = server.CreateClient(RunningServer.Token);
        annClient.Timeout = TimeSpan.FromMinutes(5);
        var floodAnswers = Enumerable.Range(0, Flood)
            .Select(i => SubmitAsync(annClient, "headshot", ("channel", flooded.Channel), ("prompt", $"flood{i}"))).ToList();
        await WaitStoredAsync(server, ann, flooded.Channel, Flood);
        // Stored after the whole flood: a blocking listid on the local engine, and another user's job.
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
        // The flooded channel itself runs at most its lane's share at once, as the bot sees it: a job's command goes
        // out only after an earlier job of the lane ended, which was after the bot posted that job's result.
        var outstanding = new HashSet<ulong>();
        var most = 0;
        foreach (var message in sandbox.Server.State.Messages(flooded.Channel))
        {
            if (message.Interaction?.Name == "headshot") outstanding.Add(message.Id);
            if (message.Reference is { } reference) outstanding.Remove(reference.MessageId);
            most = Math.Max(most, outstanding.Count);
        }
        output.WriteLine($"most flood commands outstanding with the bot at once: {most}");
        Assert.InRange(most, 1, new JobsOptions().MaxConcurrentJobsPerChannel);
    }

    /// <summary>Waits until the channel's jobs are committed (read from the server's database file).</summary>
    private static async Task WaitStoredAsync(RunningServer server, long userId, string channel, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(server.DataDir, "faceswap.db")};Pooling=False");
        await connection.OpenAsync();
        while (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE user_id = @userId AND channel = @channel",
                   new { userId, channel }) < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The flood's {count} jobs were not all stored");
            await Task.Delay(20);
        }
    }

    private static async Task<string> SubmitAsync(HttpClient client, string command, params (string, object)[] parts)
    {
        var response = await client.PostAsync(command, Forms.Multipart(parts));
        var body = await response.BodyAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return (string)JsonNode.Parse(body)!["jobid"]!;
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
