using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using FaceSwap.Sandbox.Bot;
using FaceSwap.Sandbox.Discord;
using FaceSwap.Sandbox.Http;
using FaceSwap.Sandbox.Rendering;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FaceSwap.Sandbox;

/// <summary>
/// The Discord emulator on its own Kestrel at 127.0.0.1: start it in-process with <see cref="StartAsync"/>,
/// or run it as a process with <see cref="RunStandaloneAsync"/>.
/// </summary>
public sealed class SandboxServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly EmulatedBot _bot;
    private readonly SavedState? _saved;

    private SandboxServer(WebApplication app, EmulatedBot bot, SavedState? saved, SandboxState state, SandboxFaults faults, Uri origin)
    {
        _app = app;
        _bot = bot;
        _saved = saved;
        State = state;
        Faults = faults;
        Origin = origin;
        ApiBaseUrl = new Uri(origin, "api/v10");
    }

    /// <summary><c>http://127.0.0.1:&lt;port&gt;/</c>: the upload bucket and the CDN live here too.</summary>
    public Uri Origin { get; }

    /// <summary><c>http://127.0.0.1:&lt;port&gt;/api/v10</c>, the value for <c>FaceSwap:Discord:ApiBaseUrl</c>.</summary>
    public Uri ApiBaseUrl { get; }

    public SandboxState State { get; }
    public SandboxFaults Faults { get; }

    /// <summary>Interactions accepted (204) that the bot has not finished with yet: tests wait for 0 before asserting what never appeared.</summary>
    public int UnansweredInteractions => _bot.PendingInteractionCount;

    /// <summary>Asynchronous jobs ("Job Submitted") whose result has not appeared yet.</summary>
    public int UnfinishedJobs => _bot.PendingJobCount;

    /// <summary>The reply plan's seed (the configured one, or the one picked at start): a run can be replayed with it.</summary>
    public int ReplySeed => State.Plan.Seed;

    /// <summary>Starts the sandbox; it owns <see cref="SandboxOptions.StateStore"/> from here on, and disposes it also when the start fails.</summary>
    public static async Task<SandboxServer> StartAsync(SandboxOptions options, CancellationToken ct = default)
    {
        var store = options.StateStore is { } given ? new SavedState(given) : null;
        try
        {
            return await StartAsync(options, store, ct);
        }
        catch
        {
            store?.Dispose();
            throw;
        }
    }

    private static async Task<SandboxServer> StartAsync(SandboxOptions options, SavedState? store, CancellationToken ct)
    {
        var saved = store?.Load();
        var plan = new ReplyPlan(options.Replies, saved?.PlanSeed ?? options.Replies.Seed ?? Random.Shared.Next());
        var state = new SandboxState(options, plan);
        var faults = new SandboxFaults();
        var commands = new InsightFaceSwapCommands(state, options.Renderer ?? new OpenCvBotImageRenderer(options.MaxPixels), options.MaxPixels);
        var bot = new EmulatedBot(state, faults, options, commands, new OtherTraffic(state, options));
        if (saved is not null)
        {
            var (interactions, jobs) = state.Restore(saved);
            bot.Resume(interactions, jobs);
        }
        if (store is not null) state.Changed = () => store.SaveAfterChange(() => state.Export(bot));

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(SandboxServer).Assembly.GetName().Name });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, options.Port);
            // Room for a few uploads of Discord's size limit, not more.
            kestrel.Limits.MaxRequestBodySize = options.MaxUploadBytes + 1024 * 1024;
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(state);
        builder.Services.AddSingleton(faults);
        builder.Services.AddSingleton(bot);
        builder.Services.AddSingleton(new RateLimitBuckets(options.Clock, options.GlobalRequestsPerSecond));
        builder.Services.Configure<Microsoft.AspNetCore.Http.Features.FormOptions>(form => form.MultipartBodyLengthLimit = options.MaxUploadBytes * 2);

        var app = builder.Build();
        if (store is not null)
        {
            // Every request that may change something (interactions, uploads, messages, control calls) is saved
            // before its answer leaves, so a restart right after an answer loses nothing.
            app.Use(async (context, next) =>
            {
                if (!HttpMethods.IsGet(context.Request.Method))
                    context.Response.OnStarting(() =>
                    {
                        state.NotifyChanged();
                        return Task.CompletedTask;
                    });
                await next(context);
            });
        }
        app.UseRouting();
        app.UseMiddleware<DiscordGate>();
        app.MapDiscordApi();
        app.MapCdnApi();
        app.MapSandboxControlApi();

        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address).Port;
        return new SandboxServer(app, bot, store, state, faults, new Uri($"http://127.0.0.1:{port}/"));
    }

    private const string Usage = "[--port N] [--token T --guild G --channel C] [--reply-delay S] [--async-delay S] [--seed N] [--state DIR | --postgres CONNECTION]";

    /// <summary>
    /// Runs the sandbox until Ctrl+C or SIGTERM. Arguments: <c>[--port N] [--token T --guild G --channel C]</c>, plus
    /// <c>--reply-delay S</c> and <c>--async-delay S</c> in seconds, <c>--seed N</c> (the reply plan), and where to keep
    /// the state: <c>--state DIR</c> (a folder) or <c>--postgres CONNECTION</c> (a PostgreSQL database, through
    /// <paramref name="openPostgres"/>, which the server supplies). Prints the API base URL, the plan's seed and where
    /// the state is.
    /// </summary>
    public static Task RunStandaloneAsync(string[] args) => RunStandaloneAsync(args, Console.Out, CancellationToken.None);

    /// <summary>As <see cref="RunStandaloneAsync(string[])"/>, writing to <paramref name="output"/> and stopping also when <paramref name="ct"/> fires.</summary>
    public static async Task RunStandaloneAsync(string[] args, TextWriter output, CancellationToken ct, Func<string, ISandboxStateStore>? openPostgres = null)
    {
        var options = new SandboxOptions { Port = 5090 };
        string? token = null, guild = null, channel = null, folder = null, postgres = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--port": options.Port = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--token": token = Value(); break;
                case "--guild": guild = Value(); break;
                case "--channel": channel = Value(); break;
                case "--reply-delay": options.BotReplyDelay = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture)); break;
                case "--async-delay": options.AsyncResultDelay = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture)); break;
                case "--seed": options.Replies.Seed = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--state": folder = Value(); break;
                case "--postgres": postgres = Value(); break;
                default: throw new ArgumentException($"unknown argument {args[i]}; use {Usage}");
            }
        }
        if (folder is not null && postgres is not null) throw new ArgumentException($"--state and --postgres are two places for one state: give one; use {Usage}");
        if (postgres is not null && openPostgres is null)
            throw new ArgumentException("--postgres needs the server's sandbox command (dotnet run --project src/FaceSwap.Server -- sandbox …)");
        options.StateStore = folder is not null ? new SandboxStateFolder(folder) : postgres is not null ? openPostgres!(postgres) : null;

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // Ctrl+C, and SIGTERM from a service manager or `docker stop`, end the run the same way: the bot stops and the
        // state is saved a last time. Without this, SIGTERM only stopped the web host and the command waited on forever.
        void Stop(PosixSignalContext signal)
        {
            signal.Cancel = true;
            stop.Cancel();
        }
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        await using var server = await StartAsync(options, stop.Token);
        output.WriteLine($"Discord sandbox API: {server.ApiBaseUrl} (reply plan seed {server.ReplySeed})");
        output.WriteLine($"state: {options.StateStore?.Location ?? "memory only (--state DIR or --postgres CONNECTION keeps it)"}");
        if (token is not null)
        {
            var ids = new SnowflakeGenerator(TimeProvider.System);
            guild ??= ids.Next().ToString();
            channel ??= ids.Next().ToString();
            string userId = server.State.AddAccount(token, guild, channel);
            output.WriteLine($"account: token {token}, user {userId}, guild {guild}, channel {channel}");
        }
        try { await Task.Delay(Timeout.Infinite, stop.Token); }
        catch (OperationCanceledException) { }
    }

    /// <summary>Stops taking requests, stops the bot (its unfinished work stays saved) and saves the state a last time.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _bot.DisposeAsync();
        State.NotifyChanged();
        State.Changed = null;
        _saved?.Dispose();
        await _app.DisposeAsync();
    }
}
