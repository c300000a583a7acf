using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FaceSwap.Sandbox;
using FaceSwap.Sandbox.Discord;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FaceSwap.Bench;

/// <summary>
/// Discord requests per job: the server's discord engine talks to the Discord sandbox (hosted here) through a
/// proxy that counts every API request; N async jobs (headshot) run at once across 1 or 10 channels, each
/// watched by a client with <c>Prefer: wait</c>, and the requests from the first submit until the last job
/// is terminal are divided by N. Setup (accounts, the saved face each headshot needs, the command index) is
/// not counted. CDN downloads of results and upload PUTs do not pass the proxy and are not counted.
/// </summary>
public static partial class DiscordCost
{
    public static async Task RunAsync(string repo, string work, Options options, Table table)
    {
        var failures = new List<string>();
        foreach (var channels in options.Channels)
        {
            foreach (var jobs in options.ConcurrentJobs)
            {
                Cost cost;
                try
                {
                    cost = await MeasureAsync(repo, work, options, channels, jobs);
                }
                catch (Exception e)
                {
                    failures.Add($"{jobs} jobs on {channels} channels: {e.Message}");
                    continue;
                }
                var routes = string.Join(", ", cost.ByRoute.OrderByDescending(r => r.Value).Select(r => $"{r.Key} {r.Value}"));
                table.Add(new Row($"Discord requests per job: {jobs} concurrent async jobs (headshot) on {channels} channel{(channels > 1 ? "s" : "")}",
                    $"**{cost.Requests / (double)jobs:0.0} per job** ({cost.Requests} requests: {routes}); {cost.Completed}/{jobs} completed in {cost.Elapsed.TotalSeconds:F1} s",
                    "—", "—", "≤ 3 per job + polling per channel", null));
            }
        }
        if (failures.Count > 0) throw new InvalidOperationException(string.Join("; ", failures));
        table.Note("Discord cost: the sandbox's default rate limits, except create-interaction raised to 100 per 5 s per account so that a run " +
                   $"takes seconds; bot reply after {Delays(options).Reply.TotalSeconds:0.#} s, async result after {Delays(options).Result.TotalSeconds:0.#} s.");
    }

    private static (TimeSpan Reply, TimeSpan Result) Delays(Options options) =>
        options.Smoke ? (TimeSpan.FromSeconds(0.2), TimeSpan.FromSeconds(0.5)) : (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));

    private sealed record Cost(long Requests, IReadOnlyDictionary<string, long> ByRoute, int Completed, TimeSpan Elapsed);

    private static async Task<Cost> MeasureAsync(string repo, string work, Options options, int channels, int jobs)
    {
        var (reply, result) = Delays(options);
        var sandboxOptions = new SandboxOptions { Port = 0, DailyCredits = 1_000_000, BotReplyDelay = reply, AsyncResultDelay = result };
        sandboxOptions.RateLimits[FaceSwap.Sandbox.SandboxRoutes.CreateInteraction] = new RateLimitPolicy(100, TimeSpan.FromSeconds(5));
        await using var sandbox = await SandboxServer.StartAsync(sandboxOptions);
        await using var proxy = await CountingProxy.StartAsync(sandbox.ApiBaseUrl);
        await using var server = await FaceSwapServer.StartAsync(repo, work, $"discord-{jobs}x{channels}",
            ("FaceSwap:Sandbox:Enabled", "false"),
            ("FaceSwap:Discord:ApiBaseUrl", proxy.BaseUrl + "api/v10"));

        var names = new List<string>();
        for (var i = 0; i < channels; i++)
        {
            var (token, guild, channel) = ($"bench-discord-token-{i}", $"{200000000000000001 + i * 10}", $"{200000000000000002 + i * 10}");
            sandbox.State.AddAccount(token, guild, channel);
            var saved = await server.Client.PostAsJsonAsync($"account/{channel}", new { discord = token, server = guild, channel });
            if (!saved.IsSuccessStatusCode) throw new InvalidOperationException($"account {channel}: {(int)saved.StatusCode} {await saved.Content.ReadAsStringAsync()}");
            await server.SubmitAsync("saveid", ("channel", channel), ("idname", "me"), ("image", Png.Gradient()));
            names.Add(channel);
        }

        proxy.Reset();
        var clock = Stopwatch.StartNew();
        var submitted = await Task.WhenAll(Enumerable.Range(0, jobs).Select(i =>
            server.SubmitAsync("headshot", ("channel", names[i % channels]), ("prompt", $"me, bench {i}"))));
        var finished = await Task.WhenAll(submitted.Select(job => WaitTerminalAsync(server, (string)job["jobid"]!)));
        clock.Stop();
        var completed = finished.Count(j => (string?)j["status"] == "completed");
        if (completed == 0) throw new InvalidOperationException($"no job completed: {finished[0].ToJsonString()}");
        return new Cost(proxy.Requests, proxy.ByRoute(), completed, clock.Elapsed);
    }

    private static async Task<JsonObject> WaitTerminalAsync(FaceSwapServer server, string jobId)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"jobs/?jobid={jobId}");
            request.Headers.Add("Prefer", "wait=60");
            var job = (JsonObject)JsonNode.Parse(await (await server.Client.SendAsync(request)).Content.ReadAsStringAsync())!;
            if ((string?)job["status"] is "completed" or "failed" or "moderated" or "cancelled") return job;
            if (deadline.Elapsed > TimeSpan.FromMinutes(5)) throw new TimeoutException($"job {jobId} still {job["status"]}");
        }
    }

    /// <summary>A reverse proxy to the sandbox's API that counts requests by route.</summary>
    private sealed class CountingProxy : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentDictionary<string, long> _routes = new();
        private long _requests;

        private CountingProxy(WebApplication app) => _app = app;

        public string BaseUrl { get; private set; } = "";
        public long Requests => Interlocked.Read(ref _requests);

        public IReadOnlyDictionary<string, long> ByRoute() => new Dictionary<string, long>(_routes);

        public void Reset()
        {
            Interlocked.Exchange(ref _requests, 0);
            _routes.Clear();
        }

        public static async Task<CountingProxy> StartAsync(Uri sandboxApi)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var proxy = new CountingProxy(app);
            var origin = new Uri(sandboxApi.GetLeftPart(UriPartial.Authority));
            var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
            app.Run(async http =>
            {
                Interlocked.Increment(ref proxy._requests);
                proxy._routes.AddOrUpdate($"{http.Request.Method} {Ids().Replace(http.Request.Path.Value ?? "", "{id}").Replace("/api/v10", "")}", 1, (_, n) => n + 1);
                using var forward = new HttpRequestMessage(new HttpMethod(http.Request.Method), new Uri(origin, http.Request.Path + http.Request.QueryString));
                if (http.Request.ContentLength > 0 || http.Request.Headers.TransferEncoding.Count > 0)
                {
                    forward.Content = new StreamContent(http.Request.Body);
                    foreach (var header in http.Request.Headers.Where(h => h.Key.StartsWith("Content-", StringComparison.OrdinalIgnoreCase)))
                        forward.Content.Headers.TryAddWithoutValidation(header.Key, header.Value.ToArray());
                }
                foreach (var header in http.Request.Headers.Where(h => h.Key is not "Host" && !h.Key.StartsWith("Content-", StringComparison.OrdinalIgnoreCase)))
                    forward.Headers.TryAddWithoutValidation(header.Key, header.Value.ToArray());
                using var answer = await client.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, http.RequestAborted);
                http.Response.StatusCode = (int)answer.StatusCode;
                foreach (var header in answer.Headers.Concat(answer.Content.Headers).Where(h => h.Key is not "Transfer-Encoding"))
                    http.Response.Headers[header.Key] = header.Value.ToArray();
                await answer.Content.CopyToAsync(http.Response.Body, http.RequestAborted);
            });
            await app.StartAsync();
            proxy.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/";
            return proxy;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    [GeneratedRegex(@"\d{5,}")]
    private static partial Regex Ids();
}
