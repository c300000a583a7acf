using System.Collections.Concurrent;
using FaceSwap.Core.Accounts;
using FaceSwap.Core.Engines;
using FaceSwap.Core.Jobs;
using FaceSwap.Discord.Polling;
using FaceSwap.Sandbox;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenCvSharp;

namespace FaceSwap.Discord.Tests;

/// <summary>One in-process sandbox per test class, with short bot delays.</summary>
public sealed class SandboxFixture : IAsyncLifetime
{
    public SandboxServer Sandbox { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Sandbox = await SandboxServer.StartAsync(new SandboxOptions
        {
            BotReplyDelay = TimeSpan.FromMilliseconds(150),
            AsyncResultDelay = TimeSpan.FromMilliseconds(800),
        });
    }

    public async Task DisposeAsync() => await Sandbox.DisposeAsync();
}

/// <summary>A Discord request the engine made, as the test's HTTP handler saw it.</summary>
public sealed record SeenRequest(string Method, string PathAndQuery, int Status, DateTimeOffset At);

/// <summary>
/// A fresh engine (its own DI container, as after a process start) on a fresh sandbox account, with a
/// handler that logs every request so tests can count them.
/// </summary>
internal sealed class EngineUnderTest : IAsyncDisposable
{
    private static long nextId = 100_000_000_000_000_000;
    private readonly ServiceProvider services;

    public EngineUnderTest(SandboxServer sandbox, Action<Dictionary<string, string?>>? configure = null, TestAccount? account = null,
        TimeProvider? time = null)
    {
        Sandbox = sandbox;
        Account = account ?? TestAccount.Create(sandbox);
        var settings = new Dictionary<string, string?>
        {
            ["FaceSwap:Discord:ApiBaseUrl"] = sandbox.ApiBaseUrl.ToString(),
            ["FaceSwap:Discord:FastPollInterval"] = "00:00:00.250",
            ["FaceSwap:Discord:FirstReplyTimeout"] = "00:00:15",
            ["FaceSwap:Discord:SlowPollMin"] = "00:00:00.400",
            ["FaceSwap:Discord:SlowPollMax"] = "00:00:00.600",
            ["FaceSwap:Discord:ReplyTimeout"] = "00:00:15",
            ["FaceSwap:Discord:AsyncResultTimeout"] = "00:00:20",
            ["FaceSwap:Discord:InteractionPacing"] = "00:00:00.050",
            ["FaceSwap:Discord:ServerErrorBackoff"] = "00:00:00.100",
        };
        configure?.Invoke(settings);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var collection = new ServiceCollection();
        collection.AddLogging();
        if (time is not null)
        {
            collection.AddSingleton(time);
        }
        collection.AddDiscordEngine(configuration);
        collection.AddHttpClient(nameof(Rest.DiscordRestClient)).AddHttpMessageHandler(() => new RecordingHandler(this));
        services = collection.BuildServiceProvider();
        Engine = services.GetServices<IEngine>().Single(e => e.Name == EngineNames.Discord);
    }

    public SandboxServer Sandbox { get; }
    public TestAccount Account { get; }
    public IEngine Engine { get; }
    public ConcurrentQueue<SeenRequest> Requests { get; } = new();
    public ChannelPollers Pollers => services.GetRequiredService<ChannelPollers>();
    public System.Diagnostics.Metrics.IMeterFactory Meters => services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
    public Microsoft.Extensions.Options.IOptionsMonitor<DiscordEngineOptions> Options =>
        services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<DiscordEngineOptions>>();

    /// <summary>Called after each answered request; a test may cancel a run here.</summary>
    public Action<SeenRequest>? AfterRequest { get; set; }

    public int Count(string method, string pathContains, int? status = null) =>
        Matching(method, pathContains).Count(r => status is null || r.Status == status);

    public IReadOnlyList<SeenRequest> Matching(string method, string pathContains) =>
        [.. Requests.Where(r => r.Method == method && r.PathAndQuery.Contains(pathContains, StringComparison.Ordinal))];

    public FakeJobExecution Job(Verb verb, Dictionary<string, string>? fields = null, Dictionary<string, InputContent>? inputs = null)
    {
        var job = new Job
        {
            Id = Guid.NewGuid().ToString("N"),
            UserId = 1,
            Verb = verb,
            Status = JobStatus.Created,
            Created = DateTimeOffset.UtcNow,
            Updated = DateTimeOffset.UtcNow,
            Channel = Account.ChannelId,
            Fields = fields ?? [],
        };
        return new FakeJobExecution(job, Account.ToAccount(), inputs);
    }

    /// <summary>Runs a job to its end, bounded generously so a hang fails the test instead of the run.</summary>
    public async Task<FakeJobExecution> RunAsync(FakeJobExecution execution, TimeSpan? bound = null)
    {
        using var cts = new CancellationTokenSource(bound ?? TimeSpan.FromSeconds(60));
        await Engine.RunAsync(execution, cts.Token);
        return execution;
    }

    public Task<FakeJobExecution> RunAsync(Verb verb, Dictionary<string, string>? fields = null, Dictionary<string, InputContent>? inputs = null) =>
        RunAsync(Job(verb, fields, inputs));

    public async Task<FakeJobExecution> SaveIdAsync(string idname)
    {
        var run = await RunAsync(Verb.SaveId, new() { ["idname"] = idname }, new() { ["image"] = Images.Face(1) });
        Assert.True(run.Completed is not null, $"saveid {idname} failed: {run.Failed}");
        return run;
    }

    public ValueTask DisposeAsync() => services.DisposeAsync();

    internal static string NewSnowflake() => Interlocked.Increment(ref nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private sealed class RecordingHandler(EngineUnderTest owner) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            var seen = new SeenRequest(request.Method.Method, request.RequestUri!.PathAndQuery, (int)response.StatusCode, DateTimeOffset.UtcNow);
            owner.Requests.Enqueue(seen);
            owner.AfterRequest?.Invoke(seen);
            return response;
        }
    }
}

internal sealed record TestAccount(string Token, string GuildId, string ChannelId, string UserId)
{
    public static TestAccount Create(SandboxServer sandbox)
    {
        var token = "tok" + Guid.NewGuid().ToString("N");
        var guild = EngineUnderTest.NewSnowflake();
        var channel = EngineUnderTest.NewSnowflake();
        var userId = sandbox.State.AddAccount(token, guild, channel);
        return new TestAccount(token, guild, channel, userId);
    }

    public Account ToAccount() => new()
    {
        UserId = 1,
        Channel = ChannelId,
        Engine = EngineNames.Discord,
        Server = GuildId,
        DiscordToken = Token,
    };
}

/// <summary>Small generated PNGs: varied pixels, so the emulated bot sees "a face".</summary>
internal static class Images
{
    public static InputContent Face(int seed, int side = 96)
    {
        using var mat = new Mat(side, side, MatType.CV_8UC1);
        var pixels = new byte[side * side];
        new Random(seed).NextBytes(pixels);
        mat.SetArray(pixels);
        Cv2.ImEncode(".png", mat, out var bytes);
        return new InputContent($"face{seed}.png", "image/png", bytes);
    }
}

/// <summary>Waits for something to happen (an event, not the passing of time), bounded generously for slow machines.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, TimeSpan? bound = null)
    {
        var until = DateTimeOffset.UtcNow + (bound ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            Assert.True(DateTimeOffset.UtcNow < until, "the awaited condition never came true");
            await Task.Delay(20);
        }
    }
}
