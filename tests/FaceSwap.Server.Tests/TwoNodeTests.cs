using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using FaceSwap.Core.Dispatch;
using FaceSwap.Core.Engines;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage.Postgres;
using FaceSwap.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace FaceSwap.Server.Tests;

/// <summary>
/// Two nodes on one PostgreSQL database: a client waits on one node while the other runs its job, and learns of
/// every change at once (LISTEN/NOTIFY), never at its wait's end. Neither node scans for work (their scans are an
/// hour apart): each claims only when woken, and the test knows which node runs each job.
/// </summary>
public sealed class TwoNodeTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Channel = "1100000000000000001";
    private HeldEngine _engineA = new();
    private HeldEngine _engineB = new();
    private SharedDatabase _database = null!;
    private RunningServer _a = null!;
    private RunningServer _b = null!;

    public async Task InitializeAsync()
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(SharedDatabase.Variable)) || RunningServer.OnPostgres) return;
        _database = await SharedDatabase.CreateAsync();
        _a = await StartNodeAsync(_engineA, recovery: "01:00:00");
        _b = await StartNodeAsync(_engineB, recovery: "01:00:00");
        await _a.AddAccountAsync(await _a.BootstrapUserIdAsync(), Channel, HeldEngine.EngineName);
    }

    private Task<RunningServer> StartNodeAsync(HeldEngine engine, string recovery)
    {
        var settings = _database.ServerSettings().ToDictionary(s => s.Key, s => (string?)s.Value);
        settings["FaceSwap:Jobs:RecoveryInterval"] = recovery;
        // Heartbeats minutes apart: a run learns of a cancel elsewhere from the change itself, not from a lost lease.
        settings["FaceSwap:Jobs:LeaseDuration"] = "00:05:00";
        return RunningServer.StartAsync(settings, services => services.AddSingleton<IEngine>(engine));
    }

    public async Task DisposeAsync()
    {
        if (_b is not null) await _b.DisposeAsync();
        if (_a is not null) await _a.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
    }

    /// <summary>
    /// Submits a job to A and returns once it runs. Either node may claim a new job (the other node hears of the
    /// waiting request and claims a second later, should A not have), so the node that runs it is called A from
    /// here on, the other B.
    /// </summary>
    private async Task<string> StartJobOnAAsync()
    {
        var response = await _a.Client.PostAsync("headshot", Forms.Multipart(("prompt", "x")));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.BodyAsync());
        var jobId = (string)(await response.JsonAsync())["jobid"]!;
        var onB = _engineB.Started(jobId);
        if (await Task.WhenAny(_engineA.Started(jobId), onB).WaitAsync(TimeSpan.FromSeconds(30)) == onB)
        {
            (_a, _b) = (_b, _a);
            (_engineA, _engineB) = (_engineB, _engineA);
        }
        return jobId;
    }

    /// <summary>Returns once a request on <paramref name="node"/> listens to the job's changes.</summary>
    private static async Task WatchedAsync(RunningServer node, string jobId)
    {
        var notifier = node.Service<JobNotifier>();
        var deadline = Stopwatch.StartNew();
        var userId = await node.BootstrapUserIdAsync();
        while (!notifier.IsWatched(jobId, userId))
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException($"nobody waits on {jobId}");
            await Task.Delay(10);
        }
    }

    [SkippableFact]
    public async Task A_long_poll_on_one_node_wakes_when_the_other_node_finishes_the_job()
    {
        Skip.If(RunningServer.OnPostgres, SharedDatabase.OnceOnly);
        Skip.If(_a is null, $"{SharedDatabase.Variable} is unset: no PostgreSQL for two nodes (scripts/test.sh starts one)");
        var jobId = await StartJobOnAAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"jobs/?jobid={jobId}");
        request.Headers.TryAddWithoutValidation("Prefer", "wait=60");
        var waiting = _b.Client.SendAsync(request);
        await WatchedAsync(_b, jobId);

        var clock = Stopwatch.StartNew();
        _engineA.Open(jobId);
        var response = await waiting;
        output.WriteLine($"node B answered {clock.ElapsedMilliseconds} ms after node A was let finish the job");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var job = await response.JsonAsync();
        Assert.Equal("completed", (string?)job["status"]);
        Assert.Single(job["attachments"]!.AsArray());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the wait ended after {clock.Elapsed}, not at the change");
        Assert.Contains(jobId, _engineA.Runs);
        Assert.DoesNotContain(jobId, _engineB.Runs);
        // The result is served by the node that did not make it: the files are in the shared database.
        var result = await _b.Client.GetAsync((string)job["attachments"]![0]!["url"]!);
        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
    }

    [SkippableFact]
    public async Task The_node_running_a_job_knows_that_a_client_waits_for_it_on_another_node()
    {
        Skip.If(RunningServer.OnPostgres, SharedDatabase.OnceOnly);
        Skip.If(_a is null, $"{SharedDatabase.Variable} is unset: no PostgreSQL for two nodes (scripts/test.sh starts one)");
        var jobId = await StartJobOnAAsync();
        Assert.False(_engineA.ClientWaiting(jobId));

        // A long-poll on B: the discord engine on A would poll Discord fast for it, as for a client of its own.
        using var request = new HttpRequestMessage(HttpMethod.Get, $"jobs/?jobid={jobId}");
        request.Headers.TryAddWithoutValidation("Prefer", "wait=60");
        var waiting = _b.Client.SendAsync(request);
        await Until(() => _engineA.ClientWaiting(jobId), "A saw B's waiting client");

        _engineA.Open(jobId);
        Assert.Equal("completed", (string?)(await (await waiting).JsonAsync())["status"]);
    }

    [SkippableFact]
    public async Task A_command_submitted_to_one_node_in_a_channel_the_other_node_runs_starts_there_at_once()
    {
        Skip.If(RunningServer.OnPostgres, SharedDatabase.OnceOnly);
        Skip.If(_a is null, $"{SharedDatabase.Variable} is unset: no PostgreSQL for two nodes (scripts/test.sh starts one)");
        var first = await StartJobOnAAsync();

        // The channel runs on A (its first job holds a lease there), so B may not take the new job; A must, now,
        // not at its next scan an hour away: B's waiting request tells it.
        var clock = Stopwatch.StartNew();
        var response = await _b.Client.PostAsync("headshot", Forms.Multipart(("prompt", "second")));
        var second = (string)(await response.JsonAsync())["jobid"]!;
        output.WriteLine($"B answered the command run on A after {clock.ElapsedMilliseconds} ms");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await _engineA.Started(second).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(second, _engineB.Runs);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20));
        _engineA.Open(first);
        _engineA.Open(second);
    }

    [SkippableFact]
    public async Task A_job_queued_on_one_node_with_respond_async_in_a_channel_the_other_node_runs_starts_there_at_once()
    {
        Skip.If(RunningServer.OnPostgres, SharedDatabase.OnceOnly);
        Skip.If(_a is null, $"{SharedDatabase.Variable} is unset: no PostgreSQL for two nodes (scripts/test.sh starts one)");
        var first = await StartJobOnAAsync();

        // Nobody waits for this job anywhere (B answered 202 once it was stored), so only the new job itself can tell
        // A, which holds the channel, to claim it before its next scan an hour away.
        using var request = new HttpRequestMessage(HttpMethod.Post, "headshot") { Content = Forms.Multipart(("prompt", "queued")) };
        request.Headers.Add("Prefer", "respond-async");
        var response = await _b.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var second = (string)(await response.JsonAsync())["jobid"]!;

        await _engineA.Started(second).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(second, _engineB.Runs);
        _engineA.Open(first);
        _engineA.Open(second);
    }

    [SkippableFact]
    public async Task A_job_stream_on_one_node_sends_the_changes_the_other_node_makes()
    {
        Skip.If(RunningServer.OnPostgres, SharedDatabase.OnceOnly);
        Skip.If(_a is null, $"{SharedDatabase.Variable} is unset: no PostgreSQL for two nodes (scripts/test.sh starts one)");
        var jobId = await StartJobOnAAsync();
        using var response = await _b.Client.GetAsync($"jobs/stream?jobid={jobId}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var statuses = new List<string>();
        var clock = Stopwatch.StartNew();
        // One bound for the whole stream: keep-alive comments must not stretch it.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await reader.ReadLineAsync(deadline.Token) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            statuses.Add((string)JsonNode.Parse(line[6..])!["status"]!);
            if (statuses.Count == 1)
            {
                Assert.Equal("started", statuses[0]);
                // Made on A, from here on: the first progress, then the end.
                await _engineA.ProgressAsync(jobId, "50%");
            }
            else if (statuses.Count == 2) _engineA.Open(jobId);
        }
        output.WriteLine($"node B streamed {string.Join(" → ", statuses)} in {clock.ElapsedMilliseconds} ms");
        Assert.Equal(["started", "progress", "completed"], statuses);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20));
    }

    [SkippableFact]
    public async Task The_users_event_stream_on_one_node_sends_the_changes_the_other_node_makes()
    {
        Skip.If(RunningServer.OnPostgres, SharedDatabase.OnceOnly);
        Skip.If(_a is null, $"{SharedDatabase.Variable} is unset: no PostgreSQL for two nodes (scripts/test.sh starts one)");
        var jobId = await StartJobOnAAsync();
        using var response = await _b.Client.GetAsync("jobs/events", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var statuses = new List<string>();
        while (await reader.ReadLineAsync(deadline.Token) is { } line)
        {
            // Ready: from here on B hears every change of the user's jobs; A makes two.
            if (line == "event: ready")
            {
                await _engineA.ProgressAsync(jobId, "50%");
                _engineA.Open(jobId);
            }
            if (!line.StartsWith("data: ", StringComparison.Ordinal) || JsonNode.Parse(line[6..]) is not JsonObject job || (string?)job["jobid"] != jobId) continue;
            statuses.Add((string)job["status"]!);
            if (statuses[^1] == "completed") break;
        }
        output.WriteLine($"node B's user stream: {string.Join(" → ", statuses)}");
        Assert.Equal("completed", statuses[^1]);
    }

    [SkippableFact]
    public async Task A_cancel_on_one_node_stops_the_run_on_the_other()
    {
        Skip.If(RunningServer.OnPostgres, SharedDatabase.OnceOnly);
        Skip.If(_a is null, $"{SharedDatabase.Variable} is unset: no PostgreSQL for two nodes (scripts/test.sh starts one)");
        var jobId = await StartJobOnAAsync();

        var cancelled = await (await _b.Client.GetAsync($"jobs/cancel?jobid={jobId}")).JsonAsync();

        Assert.Equal("cancelled", (string?)cancelled["status"]);
        await _engineA.Stopped(jobId).WaitAsync(TimeSpan.FromSeconds(20));
        var seenOnA = await (await _a.Client.GetAsync($"jobs/?jobid={jobId}")).JsonAsync();
        Assert.Equal("cancelled", (string?)seenOnA["status"]);
    }

    [SkippableFact]
    public async Task A_node_that_lost_its_listening_connection_catches_up_its_waiters_when_it_listens_again()
    {
        Skip.If(RunningServer.OnPostgres, SharedDatabase.OnceOnly);
        Skip.If(_a is null, $"{SharedDatabase.Variable} is unset: no PostgreSQL for two nodes (scripts/test.sh starts one)");
        // A third node on fake time: its retry after the lost connection waits until the test moves its clock, so the
        // change below surely happens while nobody on it listens.
        // It starts once the job runs, since it has no engine for it and must not claim it.
        var jobId = await StartJobOnAAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = _database.ServerSettings().ToDictionary(s => s.Key, s => (string?)s.Value);
        await using var c = await RunningServer.StartAsync(settings, services => services.AddSingleton<TimeProvider>(clock));
        var changes = c.Service<PostgresJobChanges>();
        await changes.FirstListen.WaitAsync(TimeSpan.FromSeconds(30));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"jobs/?jobid={jobId}");
        request.Headers.TryAddWithoutValidation("Prefer", "wait=60");
        var waiting = c.Client.SendAsync(request);
        await WatchedAsync(c, jobId);

        await using (var admin = await _database.OpenAsync())
        {
            await using var cut = new NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND application_name = @name", admin);
            cut.Parameters.AddWithValue("name", PostgresJobChanges.ListenerName);
            Assert.True((long)(await cut.ExecuteScalarAsync())! >= 3, "every node was listening");
        }
        await Until(() => !changes.Listening, "node C noticed its lost connection");
        _engineA.Open(jobId);
        await Until(async () => (string?)(await (await _a.Client.GetAsync($"jobs/?jobid={jobId}")).JsonAsync())["status"] == "completed", "node A finished the job");

        clock.Advance(TimeSpan.FromSeconds(1)); // C's retry is due: it listens again, then re-reads what its waiters wait on
        var response = await waiting.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("completed", (string?)(await response.JsonAsync())["status"]);
        Assert.Equal(1, changes.Reconnects);
    }

    private static Task Until(Func<bool> condition, string what) => Until(() => Task.FromResult(condition()), what);

    private static async Task Until(Func<Task<bool>> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException($"never: {what}");
            await Task.Delay(20);
        }
    }

    /// <summary>An engine whose runs start, then wait for the test: progress, completion, or a cancel that stops them.</summary>
    private sealed class HeldEngine : IEngine
    {
        public const string EngineName = "held";
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _started = new();
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _opened = new();
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _stopped = new();
        private readonly ConcurrentDictionary<string, IJobExecution> _executions = new();

        public string Name => EngineName;
        public ConcurrentBag<string> Runs { get; } = [];

        public Task Started(string jobId) => Signal(_started, jobId).Task;
        public Task Stopped(string jobId) => Signal(_stopped, jobId).Task;
        public void Open(string jobId) => Signal(_opened, jobId).TrySetResult();

        public bool ClientWaiting(string jobId) => _executions[jobId].ClientWaiting;

        public Task ProgressAsync(string jobId, string content) =>
            _executions[jobId].ReportAsync(JobStatus.Progress, new UpstreamMessage(Content: content), CancellationToken.None);

        public async Task RunAsync(IJobExecution execution, CancellationToken cancellationToken)
        {
            var jobId = execution.Job.Id;
            Runs.Add(jobId);
            _executions[jobId] = execution;
            await execution.ReportAsync(JobStatus.Started, new UpstreamMessage(Content: "started"), cancellationToken);
            Signal(_started, jobId).TrySetResult();
            try
            {
                await Signal(_opened, jobId).Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Signal(_stopped, jobId).TrySetResult();
                throw;
            }
            var png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");
            await execution.CompleteAsync(new UpstreamMessage("1234567890123456789", "done", "2023-09-09T02:05:24.991000+00:00"),
                [new ResultFile("result.png", "image/png", png, 1, 1)], cancellationToken);
        }

        private static TaskCompletionSource Signal(ConcurrentDictionary<string, TaskCompletionSource> signals, string jobId) =>
            signals.GetOrAdd(jobId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }
}
