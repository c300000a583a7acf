using System.Net;
using System.Text.Json.Nodes;
using FaceSwap.Core.Accounts;
using FaceSwap.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FaceSwap.Server.Tests;

/// <summary>
/// Many async jobs at once against a real server and the emulated bot: each job's command reaches the bot
/// exactly once. Every command spends the user's credits on real Discord, so a repeat is a real cost.
/// </summary>
public sealed class ExactlyOnceLoadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Five_hundred_concurrent_async_jobs_send_exactly_five_hundred_commands()
    {
        await using var sandbox = await HostedSandbox.StartAsync(channels: 10, asyncResultDelay: TimeSpan.FromMilliseconds(200));
        var settings = sandbox.ServerSettings().ToDictionary(s => s.Key, s => (string?)s.Value);
        // Short leases, so jobs that wait in memory for a slot outlive several of them: only heartbeats keep them.
        settings["FaceSwap:Jobs:LeaseDuration"] = "00:00:05";
        settings["FaceSwap:Jobs:RecoveryInterval"] = "00:00:01";
        await using var server = await RunningServer.StartAsync(settings);
        var userId = await server.BootstrapUserIdAsync();
        foreach (var channel in sandbox.Channels)
            await server.AddAccountAsync(userId, channel.Channel, EngineNames.Discord, channel.Guild, channel.Token);

        // An async command may be answered only once the bot has replied, so the last answers come late.
        using var client = server.CreateClient(RunningServer.Token);
        client.Timeout = TimeSpan.FromMinutes(5);

        var prompts = await CommandLoad.SubmitHeadshotsAsync(client, sandbox, 500);
        var outcomes = await CommandLoad.WaitAllTerminalAsync(client, prompts.Keys, TimeSpan.FromMinutes(4));
        await CommandLoad.DrainAsync(client, sandbox);

        var received = sandbox.PromptsReceived("headshot");
        output.WriteLine($"jobs: {prompts.Count}; outcomes: {string.Join(", ", outcomes.Values.GroupBy(s => s).Select(g => $"{g.Key} {g.Count()}"))}; " +
                         $"headshot commands the bot received: {received.Count}");
        Assert.All(outcomes.Values, status => Assert.Equal("completed", status));
        Assert.Equal(500, received.Count);
        Assert.Equal(prompts.Values.Order(), received.Order());
    }
}

/// <summary>Async jobs submitted all at once, and what it takes to count the bot's commands afterwards.</summary>
internal static class CommandLoad
{
    /// <summary>Submits <paramref name="count"/> headshots over the sandbox's channels at once; returns each job's prompt by id.</summary>
    public static async Task<Dictionary<string, string>> SubmitHeadshotsAsync(HttpClient client, HostedSandbox sandbox, int count)
    {
        var submitted = await Task.WhenAll(StartHeadshots(client, sandbox, count));
        return submitted.ToDictionary(s => s.JobId, s => s.Prompt);
    }

    /// <summary>The submissions of <paramref name="count"/> headshots (prompts load0, load1, …), all under way at once.</summary>
    public static List<Task<(string JobId, string Prompt)>> StartHeadshots(HttpClient client, HostedSandbox sandbox, int count) =>
        Enumerable.Range(0, count).Select(async i =>
        {
            var prompt = $"load{i}";
            var channel = sandbox.Channels[i % sandbox.Channels.Count].Channel;
            var response = await client.PostAsync("headshot", Forms.Multipart(("channel", channel), ("prompt", prompt)));
            var body = await response.BodyAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            return (JobId: (string)JsonNode.Parse(body)!["jobid"]!, Prompt: prompt);
        }).ToList();

    /// <summary>Each job's terminal status, waiting on the server (Prefer: wait) rather than polling.</summary>
    public static async Task<Dictionary<string, string>> WaitAllTerminalAsync(HttpClient client, IEnumerable<string> jobIds, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        var outcomes = new Dictionary<string, string>();
        foreach (var jobId in jobIds)
        {
            while (true)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"jobs/?jobid={jobId}");
                request.Headers.Add("Prefer", "wait=20");
                var response = await client.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var status = (string)(await response.JsonAsync())["status"]!;
                if (status is "completed" or "failed" or "moderated" or "cancelled")
                {
                    outcomes[jobId] = status;
                    break;
                }
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"Job {jobId} stayed {status}");
            }
        }
        return outcomes;
    }

    /// <summary>
    /// Returns once the bot has answered every command it took: it works through a channel's commands in
    /// arrival order, so when a listid sent now is answered, everything sent before it on that channel is too.
    /// </summary>
    public static async Task DrainAsync(HttpClient client, HostedSandbox sandbox)
    {
        foreach (var channel in sandbox.Channels)
        {
            var response = await client.PostAsync("listid", Forms.Multipart(("channel", channel.Channel)));
            var body = await response.BodyAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            Assert.Equal("completed", (string?)JsonNode.Parse(body)!["status"]);
        }
    }
}
