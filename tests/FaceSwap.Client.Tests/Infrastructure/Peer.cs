using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FaceSwap.Client.Tests.Infrastructure;

public sealed record PeerRequest(string Method, string PathAndQuery, string Body, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// A small real HTTP server on loopback whose answers a test scripts: the commercial service's behaviour (no
/// Prefer, no stream), failing upstreams, webhook receivers. Every request is recorded.
/// </summary>
public sealed class Peer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SemaphoreSlim _arrived = new(0);

    private Peer(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }
    public ConcurrentQueue<PeerRequest> Requests { get; } = new();

    /// <summary>Starts a peer whose <paramref name="answer"/> writes each response.</summary>
    public static async Task<Peer> StartAsync(Func<PeerRequest, HttpResponse, Task> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        Peer? peer = null;
        app.Map("/{**path}", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            var headers = http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            var request = new PeerRequest(http.Request.Method, http.Request.Path + http.Request.QueryString, body, headers);
            peer!.Requests.Enqueue(request);
            await answer(request, http.Response);
            peer._arrived.Release();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        peer = new Peer(app, new Uri(address));
        return peer;
    }

    public string Url(string path) => new Uri(BaseUrl, path).ToString();

    /// <summary>Waits (generously) until <paramref name="count"/> requests have been answered.</summary>
    public async Task WaitForRequestsAsync(int count, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(30));
        while (Requests.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"Expected {count} requests, got {Requests.Count}");
            await _arrived.WaitAsync(left);
        }
    }

    public static Task JsonAsync(HttpResponse response, int status, string json, params (string Name, string Value)[] headers)
    {
        response.StatusCode = status;
        foreach (var (name, value) in headers) response.Headers[name] = value;
        response.ContentType = "application/json";
        return response.WriteAsync(json);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
