using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using FaceSwap.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FaceSwap.Server.Tests;

/// <summary>
/// Several server processes on one PostgreSQL database and one emulated Discord (the sandbox, in this test's
/// process, so it outlives every node), one of them SIGKILLed mid-work and started again: every accepted job ends
/// exactly once, the bot gets each command once (beyond the commands the kill cut off), each channel is polled by one
/// node at a time, and every replyUrl delivery arrives, twice only where the kill cut one off between its POST and
/// its record (Standard Webhooks' at-least-once: the repeat carries the same <c>webhook-id</c>).
/// </summary>
public sealed class MultiNodeTests(ITestOutputHelper output)
{
    private const string Token = "multi-node-token-0123456789";
    private static readonly string[] Executing = ["created", "started", "progress"];

    private void Log(string line)
    {
        try { output.WriteLine(line); } catch (InvalidOperationException) { /* the test has ended */ }
    }

    private static string FixturesDir => Environment.GetEnvironmentVariable("FACESWAP_FIXTURES") is { Length: > 0 } dir
        ? dir
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "faceswap-fixtures");

    private static string Fixture(string relative)
    {
        var path = Path.Combine(FixturesDir, relative);
        Skip.IfNot(File.Exists(path), $"fixture {path} is missing: run scripts/fetch-fixtures.sh (or set FACESWAP_FIXTURES)");
        return path;
    }

    /// <summary>What every node of a test shares: the database, the sandbox, short leases and fast scans.</summary>
    private static Dictionary<string, string> NodeSettings(SharedDatabase database, HostedSandbox sandbox) => new(
    [
        .. database.ServerSettings(),
        .. sandbox.ServerSettings(),
        new("FaceSwap:Local:BootstrapChannel", "false"),
        // Long enough that a node starved of CPU for a moment (three nodes, PostgreSQL and the test share two cores)
        // keeps its leases; short enough that a dead node's work moves within seconds.
        new("FaceSwap:Jobs:LeaseDuration", "00:00:06"),
        new("FaceSwap:Jobs:RecoveryInterval", "00:00:00.300"),
        new("FaceSwap:Webhooks:AllowedNetworks:0", "127.0.0.0/8"),
        new("FaceSwap:Webhooks:RetrySchedule:0", "00:00:00"),
        new("FaceSwap:Webhooks:RetrySchedule:1", "00:00:00.300"),
        new("FaceSwap:Webhooks:RetrySchedule:2", "00:00:01"),
        new("FaceSwap:Webhooks:RequestTimeout", "00:00:05"),
        new("FaceSwap:Webhooks:LeaseDuration", "00:00:06"),
    ]);

    [SkippableFact]
    public async Task Three_nodes_with_one_killed_mid_load_end_every_job_once_and_send_each_command_and_callback_once()
    {
        var astronaut = await File.ReadAllBytesAsync(Fixture("astronaut.png"));
        var target = await File.ReadAllBytesAsync(Fixture("face-api/sample2.jpg"));
        await using var database = await SharedDatabase.CreateAsync();
        await using var sandbox = await HostedSandbox.StartAsync(channels: 4, asyncResultDelay: TimeSpan.FromSeconds(2));
        await using var receiver = await WebhookReceiver.StartAsync();
        var seed = Environment.GetEnvironmentVariable("FACESWAP_TEST_SEED") is { Length: > 0 } fixedSeed ? int.Parse(fixedSeed) : Random.Shared.Next();
        var random = new Random(seed);
        var settings = NodeSettings(database, sandbox);
        settings["FaceSwap:Local:ModelsDir"] = Path.GetDirectoryName(Fixture("blazeface/face_detection_back_256x256_barracuda.onnx"))!;
        settings["FaceSwap:Local:ShapePredictorPath"] = Fixture("dlib/shape_predictor_68_face_landmarks.dat");
        settings["FaceSwap:Local:CascadesDir"] = Path.GetDirectoryName(Fixture("haarcascades/haarcascade_frontalface_default.xml"))!;
        var nodes = Enumerable.Range(0, 3).Select(i => new NodeProcess($"node{i}", Token, settings, Log)).ToArray();
        var clock = Stopwatch.StartNew();
        try
        {
            foreach (var node in nodes) node.Start();
            await Task.WhenAll(nodes.Select(n => n.WaitHealthyAsync()));
            Log($"seed {seed} (FACESWAP_TEST_SEED={seed} replays it); three nodes up after {clock.ElapsedMilliseconds} ms");

            foreach (var channel in sandbox.Channels)
            {
                var saved = await nodes[0].Client.PostAsync($"account/{channel.Channel}", JsonContent.Create(new { discord = channel.Token, server = channel.Guild, channel = channel.Channel }));
                Assert.True(saved.IsSuccessStatusCode, await saved.Content.ReadAsStringAsync());
            }
            string[] localChannels = ["local-0", "local-1"];
            for (var i = 0; i < localChannels.Length; i++)
            {
                var saved = await nodes[1].Client.PostAsync($"account/{localChannels[i]}", JsonContent.Create(new { engine = "local" }));
                Assert.True(saved.IsSuccessStatusCode, await saved.Content.ReadAsStringAsync());
                // Saved on one node, swapped with on the others: saved faces live in the database too.
                var face = await nodes[2].Client.PostAsync("saveid", Forms.Multipart(("channel", localChannels[i]), ("idname", "me"), ("image", astronaut)));
                Assert.True((string?)(await face.JsonAsync())["status"] == "completed", await face.BodyAsync());
            }

            Log($"accounts and saved faces ready at {clock.ElapsedMilliseconds} ms");

            // The load: async headshots on the sandbox's channels answered once stored (respond-async), local swaps (a
            // blocking command, so one at a time per channel), all with a replyUrl, spread over the nodes, while status
            // reads go to every node. The kill comes when the bot has taken a random number of the commands.
            const int headshots = 36;
            const int SwapsPerChannel = 2;
            var reads = new StatusReads(nodes, Log);
            var headshotSubmits = Enumerable.Range(0, headshots).Select(async i =>
            {
                var channel = sandbox.Channels[i % sandbox.Channels.Count].Channel;
                for (var turn = i; ; turn++)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, "headshot")
                    {
                        Content = Forms.Multipart(("channel", channel), ("prompt", $"load{i}"), ("replyUrl", receiver.Url($"/hook/load{i}"))),
                    };
                    request.Headers.TryAddWithoutValidation("Prefer", "respond-async");
                    if (await Submit(nodes[turn % nodes.Length], request, reads) != Outcome.NodeDown) return;
                }
            }).ToList();
            var swaps = localChannels.Select(async (channel, c) =>
            {
                for (var i = 0; i < SwapsPerChannel; i++)
                {
                    // A blocking command: refused (429) while the channel's previous one still runs, which a kill prolongs.
                    for (var turn = c + i; ; turn++)
                    {
                        using var request = new HttpRequestMessage(HttpMethod.Post, "swapid")
                        {
                            Content = Forms.Multipart(("channel", channel), ("idname", "me"), ("image", target), ("replyUrl", receiver.Url($"/hook/{channel}-{i}"))),
                        };
                        var outcome = await Submit(nodes[turn % nodes.Length], request, reads);
                        if (outcome is Outcome.Accepted or Outcome.CutOff) break;
                        await Task.Delay(200);
                    }
                }
            }).ToList();
            Log($"load under way at {clock.ElapsedMilliseconds} ms");

            var killAfter = random.Next(4, 24);
            await Until(() => sandbox.PromptsReceived("headshot").Count >= killAfter, TimeSpan.FromSeconds(60), $"the bot got {killAfter} commands");
            // The victim is one of the nodes running jobs at that moment (a seeded choice), so the kill cuts work off.
            List<string> holders;
            await using (var connection = await database.OpenAsync())
            {
                holders = (await connection.QueryAsync<string>(
                    "SELECT DISTINCT lease_owner FROM jobs WHERE status = ANY(@Executing) AND lease_owner IS NOT NULL", new { Executing })).ToList();
            }
            var busy = nodes.Where(n => holders.Any(h => h.Contains($":{n.Pid}:", StringComparison.Ordinal))).ToList();
            var victim = busy.Count > 0 ? busy[random.Next(busy.Count)] : nodes[random.Next(nodes.Length)];
            var victimPid = victim.Pid;
            await victim.KillAsync();
            var receivedAtKill = sandbox.PromptsReceived("headshot").Count;
            reads.Down(victim);
            // Claimed by the dead node and not finished: only these may send their command (or callback) again.
            List<string> inFlight;
            List<string> deliveriesInFlight;
            await using (var connection = await database.OpenAsync())
            {
                inFlight = (await connection.QueryAsync<string>(
                    "SELECT id FROM jobs WHERE status = ANY(@Executing) AND lease_owner LIKE '%:' || @pid || ':%'",
                    new { Executing, pid = victimPid.ToString() })).ToList();
                deliveriesInFlight = (await connection.QueryAsync<string>(
                    "SELECT id FROM deliveries WHERE state = 'pending' AND lease_owner LIKE '%:' || @pid || ':%'",
                    new { pid = victimPid.ToString() })).ToList();
            }
            Log($"killed {victim.Name} (pid {victimPid}) at {clock.ElapsedMilliseconds} ms, when the bot had {receivedAtKill} commands; " +
                $"it held {inFlight.Count} unfinished jobs and {deliveriesInFlight.Count} pending deliveries");

            victim.Start();
            await victim.WaitHealthyAsync();
            reads.Up(victim);
            Log($"{victim.Name} back at {clock.ElapsedMilliseconds} ms");
            // Submits cut off by the kill are lost to their client; what was accepted is what the database holds.
            foreach (var submit in headshotSubmits.Concat(swaps)) await submit;

            Dictionary<string, (string Prompt, string Verb)> accepted;
            await using (var connection = await database.OpenAsync())
            {
                accepted = (await connection.QueryAsync<(string Id, string? Prompt, string Verb)>(
                        "SELECT id, data::json->'fields'->>'prompt', data::json->>'verb' FROM jobs"))
                    .ToDictionary(r => r.Id, r => (r.Prompt ?? "", r.Verb));
            }
            var outcomes = new Dictionary<string, string>();
            foreach (var jobId in accepted.Keys) outcomes[jobId] = await WaitTerminalAsync(nodes, jobId, TimeSpan.FromSeconds(60));
            await CommandLoad.DrainAsync(nodes[0].Client, sandbox);
            await reads.StopAsync();
            var withReplyUrl = accepted.Keys.Where(id => accepted[id].Verb is "Headshot" or "SwapId").ToList();
            await Until(() => receiver.Calls.Select(c => (string?)JsonNode.Parse(c.Body)!["jobid"]).Distinct().Count() >= withReplyUrl.Count,
                TimeSpan.FromSeconds(30), "a callback for every job with a replyUrl");

            var received = sandbox.PromptsReceived("headshot");
            var repeated = received.GroupBy(p => p).Where(g => g.Count() > 1).ToDictionary(g => g.Key!, g => g.Count() - 1);
            var inFlightPrompts = inFlight.Select(id => accepted[id].Prompt).ToHashSet();
            var calls = receiver.Calls.Select(c => (Id: c.Headers["webhook-id"], Job: JsonNode.Parse(c.Body)!)).ToList();
            var repeatedCallbacks = calls.GroupBy(c => c.Id).Where(g => g.Count() > 1).ToDictionary(g => g.Key, g => g.Count() - 1);
            Log($"accepted {accepted.Count} jobs ({string.Join(", ", accepted.Values.GroupBy(a => a.Verb).Select(g => $"{g.Count()} {g.Key}"))}); " +
                $"outcomes: {string.Join(", ", outcomes.Values.GroupBy(s => s).Select(g => $"{g.Key} {g.Count()}"))}; " +
                $"headshot commands: {received.Count}, repeated: {repeated.Values.Sum()} (bound: {inFlight.Count} in flight at the kill); " +
                $"callbacks: {calls.Count}, repeated: {repeatedCallbacks.Values.Sum()} (bound: {deliveriesInFlight.Count} in flight); " +
                $"status reads: {reads.Count} ({reads.Refused} refused by the dead node); {clock.ElapsedMilliseconds} ms in all");
            foreach (var (jobId, status) in outcomes.Where(o => o.Value != "completed"))
                Log($"not completed: {jobId} ({accepted[jobId].Prompt}) {status}{(inFlight.Contains(jobId) ? ", in flight at the kill" : "")}");

            // Every accepted job ended; the bot got the commands of accepted jobs only, each once but for those the kill cut off.
            Assert.InRange(accepted.Values.Count(a => a.Verb == "Headshot"), receivedAtKill, headshots);
            // A swap cut off by the kill may or may not have been stored (one per local channel at most).
            Assert.InRange(accepted.Values.Count(a => a.Verb == "SwapId"), localChannels.Length * (SwapsPerChannel - 1), localChannels.Length * SwapsPerChannel);
            Assert.All(outcomes.Values, status => Assert.Contains(status, new[] { "completed", "failed", "moderated", "cancelled" }));
            Assert.Subset(accepted.Values.Select(a => a.Prompt).ToHashSet(), received.ToHashSet()!);
            Assert.Subset(inFlightPrompts, repeated.Keys.ToHashSet());
            Assert.All(repeated.Values, extra => Assert.Equal(1, extra));
            // Jobs that no kill touched complete; local swaps are the nodes' own work and complete wherever they run.
            Assert.All(outcomes.Where(o => !inFlight.Contains(o.Key)), o => Assert.Equal("completed", o.Value));
            // One terminal state per job, told once: one delivery per job, whose snapshot is the job's final state; a
            // delivery POSTed again only when the dead node held it.
            foreach (var jobId in withReplyUrl)
            {
                var mine = calls.Where(c => (string?)c.Job["jobid"] == jobId).ToList();
                Assert.True(mine.Select(c => c.Id).Distinct().Count() == 1, $"job {jobId} was told {mine.Select(c => c.Id).Distinct().Count()} times");
                Assert.All(mine, c => Assert.Equal(outcomes[jobId], (string?)c.Job["status"]));
            }
            Assert.Subset(deliveriesInFlight.ToHashSet(), repeatedCallbacks.Keys.ToHashSet());
            Assert.Equal(0, reads.ServerErrors);
            await using (var connection = await database.OpenAsync())
            {
                Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM jobs WHERE status = ANY(@Executing)", new { Executing }));
                Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM deliveries WHERE state = 'pending'"));
            }
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task One_channel_fed_through_two_nodes_runs_and_is_polled_on_one_node_and_moves_when_that_node_dies()
    {
        await using var database = await SharedDatabase.CreateAsync();
        await using var sandbox = await HostedSandbox.StartAsync(channels: 1, asyncResultDelay: TimeSpan.FromSeconds(1.5));
        var channel = sandbox.Channels[0].Channel;
        var requests = new ConcurrentQueue<ProxiedRequest>();
        await using var proxyA = await RecordingProxy.StartAsync("A", sandbox.Server.ApiBaseUrl, requests);
        await using var proxyB = await RecordingProxy.StartAsync("B", sandbox.Server.ApiBaseUrl, requests);
        NodeProcess Node(string name, RecordingProxy proxy)
        {
            var settings = NodeSettings(database, sandbox);
            settings["FaceSwap:Discord:ApiBaseUrl"] = new Uri(proxy.BaseUrl, "api/v10").ToString();
            return new NodeProcess(name, Token, settings, Log);
        }
        await using var a = Node("A", proxyA);
        await using var b = Node("B", proxyB);
        a.Start();
        b.Start();
        await Task.WhenAll(a.WaitHealthyAsync(), b.WaitHealthyAsync());
        var account = await a.Client.PostAsync($"account/{channel}", JsonContent.Create(new { discord = sandbox.Channels[0].Token, server = sandbox.Channels[0].Guild, channel }));
        Assert.True(account.IsSuccessStatusCode, await account.Content.ReadAsStringAsync());

        // Sampled all along: how many nodes hold live leases on the channel's executing jobs at once.
        using var sampling = new CancellationTokenSource();
        var mostOwners = 0;
        var samples = Task.Run(async () =>
        {
            await using var connection = await database.OpenAsync();
            while (!sampling.IsCancellationRequested)
            {
                var owners = (await connection.QueryAsync<string>(
                    "SELECT DISTINCT lease_owner FROM jobs WHERE channel = @channel AND status = ANY(@Executing) AND lease_owner IS NOT NULL " +
                    "AND lease_until_ms > (extract(epoch FROM clock_timestamp()) * 1000)::bigint", new { channel, Executing })).Count();
                mostOwners = Math.Max(mostOwners, owners);
                await Task.Delay(25);
            }
        });

        // The first job is claimed (by one node or the other); then the channel's jobs come in through both nodes.
        var jobs = new List<string> { await SubmitAsyncHeadshot(a, channel, 0) };
        await Until(async () =>
        {
            await using var connection = await database.OpenAsync();
            return await connection.ExecuteScalarAsync<string?>("SELECT lease_owner FROM jobs WHERE id = @id", new { id = jobs[0] }) is not null;
        }, TimeSpan.FromSeconds(30), "the first job claimed");
        for (var i = 1; i < 12; i++) jobs.Add(await SubmitAsyncHeadshot(i % 2 == 0 ? a : b, channel, i));
        try
        {
            await Until(() => sandbox.PromptsReceived("headshot").Count >= 4, TimeSpan.FromSeconds(60), "four commands sent");
        }
        catch (TimeoutException)
        {
            foreach (var r in requests.TakeLast(30)) Log($"{r.Node} {r.Method} {r.PathAndQuery} {r.Status}");
            throw;
        }

        // The node that holds the channel now is the one to kill; the other must take the channel over.
        List<string> owners;
        await using (var connection = await database.OpenAsync())
        {
            owners = (await connection.QueryAsync<string>(
                "SELECT DISTINCT lease_owner FROM jobs WHERE channel = @channel AND status = ANY(@Executing) AND lease_owner IS NOT NULL",
                new { channel, Executing })).ToList();
        }
        Assert.Single(owners);
        var (holder, other) = owners[0].Contains($":{a.Pid}:") ? (a, b) : (b, a);
        Assert.Contains($":{holder.Pid}:", owners[0]);
        var killedAt = DateTimeOffset.UtcNow;
        await holder.KillAsync();
        Log($"killed {holder.Name}, which held the channel, with the bot at {sandbox.PromptsReceived("headshot").Count} commands");

        var outcomes = new Dictionary<string, string>();
        foreach (var jobId in jobs) outcomes[jobId] = await WaitTerminalAsync([other], jobId, TimeSpan.FromSeconds(60));
        await sampling.CancelAsync();
        await samples;

        var historyReads = requests.Where(r => r.Method == "GET" && r.PathAndQuery.StartsWith($"/api/v10/channels/{channel}/messages", StringComparison.Ordinal)).ToList();
        var beforeKill = historyReads.Where(r => r.At < killedAt).GroupBy(r => r.Node).ToDictionary(g => g.Key, g => g.Count());
        var afterKill = historyReads.Where(r => r.At >= killedAt).GroupBy(r => r.Node).ToDictionary(g => g.Key, g => g.Count());
        Log($"history reads of the channel before the kill: {string.Join(", ", beforeKill.Select(kv => $"{kv.Key} {kv.Value}"))}; " +
            $"after: {string.Join(", ", afterKill.Select(kv => $"{kv.Key} {kv.Value}"))}; most nodes holding the channel at once: {mostOwners}; " +
            $"outcomes: {string.Join(", ", outcomes.Values.GroupBy(s => s).Select(g => $"{g.Key} {g.Count()}"))}");
        Assert.Equal(1, mostOwners);
        Assert.True(beforeKill.GetValueOrDefault(holder.Name) > 0, $"{holder.Name} polled the channel while it ran its jobs");
        Assert.False(beforeKill.ContainsKey(other.Name), $"{other.Name} never polled the channel while {holder.Name} held it");
        Assert.True(afterKill.GetValueOrDefault(other.Name) > 0, $"{other.Name} took the channel over");
        Assert.Contains("completed", outcomes.Values);
        Assert.All(outcomes.Values, status => Assert.Contains(status, new[] { "completed", "failed" }));
    }

    private static async Task<string> SubmitAsyncHeadshot(NodeProcess node, string channel, int i)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "headshot") { Content = Forms.Multipart(("channel", channel), ("prompt", $"lane{i}")) };
        request.Headers.TryAddWithoutValidation("Prefer", "respond-async");
        var response = await node.Client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.BodyAsync());
        return (string)(await response.JsonAsync())["jobid"]!;
    }

    private enum Outcome { Accepted, Busy, NodeDown, CutOff }

    /// <summary>
    /// A submit during the load: accepted; refused because a blocking command still runs on the channel (429); never
    /// sent because the node is down (the connection refused); or cut off by a kill, with no answer (stored or not).
    /// Any other answer fails the test.
    /// </summary>
    private static async Task<Outcome> Submit(NodeProcess node, HttpRequestMessage request, StatusReads reads)
    {
        HttpResponseMessage response;
        var killsEnded = node.KillsEnded;
        try
        {
            response = await node.Client.SendAsync(request);
        }
        catch (HttpRequestException e) when (e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
        {
            return Outcome.NodeDown;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && node.KilledSince(killsEnded))
        {
            return Outcome.CutOff;
        }
        var body = await response.BodyAsync();
        if (response.StatusCode == (HttpStatusCode)429) return Outcome.Busy;
        Assert.True(response.IsSuccessStatusCode, $"{node.Name}: {(int)response.StatusCode} {body}");
        reads.Add((string)JsonNode.Parse(body)!["jobid"]!);
        return Outcome.Accepted;
    }

    /// <summary>The job's terminal status, asked of the live nodes in turn with <c>Prefer: wait</c>.</summary>
    private static async Task<string> WaitTerminalAsync(IReadOnlyList<NodeProcess> nodes, string jobId, TimeSpan limit)
    {
        var deadline = Stopwatch.StartNew();
        for (var turn = 0; ; turn++)
        {
            var node = nodes[turn % nodes.Count];
            using var request = new HttpRequestMessage(HttpMethod.Get, $"jobs/?jobid={jobId}");
            request.Headers.Add("Prefer", "wait=10");
            var response = await node.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var status = (string)(await response.JsonAsync())["status"]!;
            if (status is "completed" or "failed" or "moderated" or "cancelled") return status;
            if (deadline.Elapsed > limit) throw new TimeoutException($"Job {jobId} stayed {status}");
        }
    }

    private static Task Until(Func<bool> condition, TimeSpan limit, string what) => Until(() => Task.FromResult(condition()), limit, what);

    private static async Task Until(Func<Task<bool>> condition, TimeSpan limit, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > limit) throw new TimeoutException($"never: {what}");
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// Status reads of the jobs accepted so far, spread over the live nodes, all through the load: a node answers
    /// every one (never a 5xx), or is down and refuses the connection.
    /// </summary>
    private sealed class StatusReads
    {
        private readonly ConcurrentDictionary<string, bool> _jobs = new();
        private readonly ConcurrentDictionary<NodeProcess, bool> _down = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private int _count, _refused, _serverErrors;

        public StatusReads(IReadOnlyList<NodeProcess> nodes, Action<string> log)
        {
            _loop = Task.Run(async () =>
            {
                var random = new Random(1);
                while (!_stop.IsCancellationRequested)
                {
                    var ids = _jobs.Keys.ToList();
                    var node = nodes[random.Next(nodes.Count)];
                    if (ids.Count == 0 || _down.ContainsKey(node))
                    {
                        await Task.Delay(10);
                        continue;
                    }
                    try
                    {
                        var response = await node.Client.GetAsync($"jobs/?jobid={ids[random.Next(ids.Count)]}");
                        Interlocked.Increment(ref _count);
                        if ((int)response.StatusCode >= 500)
                        {
                            Interlocked.Increment(ref _serverErrors);
                            log($"{node.Name} answered a status read {(int)response.StatusCode}: {await response.BodyAsync()}");
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        Interlocked.Increment(ref _refused);
                    }
                }
            });
        }

        public int Count => _count;
        public int Refused => _refused;
        public int ServerErrors => _serverErrors;

        public void Add(string jobId) => _jobs[jobId] = true;
        public void Down(NodeProcess node) => _down[node] = true;
        public void Up(NodeProcess node) => _down.TryRemove(node, out _);

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _loop;
        }
    }
}
