using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FaceSwap.Server.Tests.Infrastructure;

/// <summary>How the receiver answers one request: after <paramref name="Delay"/> (<see cref="Hang"/>: never, until the caller gives up).</summary>
public sealed record Answer(int Status = 200, TimeSpan Delay = default, string? RedirectTo = null)
{
    /// <summary>A request that is never answered: the receiver holds it until the sender gives up and drops the connection.</summary>
    public static Answer Hang => new(Delay: Timeout.InfiniteTimeSpan);
}

public sealed record ReceivedCall(string Path, string Body, IReadOnlyDictionary<string, string> Headers, DateTimeOffset At);

/// <summary>A real HTTP receiver on loopback that fails, times out, redirects or answers 410 on cue.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Answer> _script = new();
    public ConcurrentQueue<ReceivedCall> Calls { get; } = new();
    public Uri BaseUrl { get; }
    private readonly SemaphoreSlim _arrived = new(0);

    private WebhookReceiver(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        WebhookReceiver? receiver = null;
        app.Map("/{**path}", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            var headers = http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            receiver!.Calls.Enqueue(new ReceivedCall(http.Request.Path, body, headers, DateTimeOffset.UtcNow));
            receiver._arrived.Release();
            var answer = receiver._script.TryDequeue(out var scripted) ? scripted : new Answer();
            if (answer.Delay != TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(answer.Delay, http.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            if (answer.RedirectTo is not null) http.Response.Headers.Location = answer.RedirectTo;
            http.Response.StatusCode = answer.Status;
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver = new WebhookReceiver(app, new Uri(address));
        return receiver;
    }

    public string Url(string path = "/hook") => new Uri(BaseUrl, path).ToString();

    /// <summary>Answers the next requests like this, in order; after the script, 200.</summary>
    public void Then(params Answer[] answers)
    {
        foreach (var answer in answers) _script.Enqueue(answer);
    }

    public async Task<List<ReceivedCall>> WaitForCallsAsync(int count, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(20));
        while (Calls.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"Expected {count} calls, got {Calls.Count}");
            await _arrived.WaitAsync(left);
        }
        return Calls.ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
