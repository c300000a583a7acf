using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;

namespace FaceSwap.Testing;

/// <summary>One request a <see cref="Peer"/> got; header names in lower case; <paramref name="At"/>: when it arrived.</summary>
public sealed record PeerRequest(string Method, string Path, string PathAndQuery, string Body, IReadOnlyDictionary<string, string> Headers, DateTimeOffset At);

/// <summary>
/// A small real HTTP server on loopback whose answers a test scripts: the commercial service's behaviour (no
/// Prefer, no stream), failing upstreams, webhook receivers. Every request is recorded as it arrives.
/// </summary>
public sealed class Peer : IAsyncDisposable
{
    private readonly SemaphoreSlim _answered = new(0);
    private LoopbackHost _host = null!;

    private Peer()
    {
    }

    public Uri BaseUrl => _host.BaseUrl;

    /// <summary>Every request so far, in the order they arrived (answered or not).</summary>
    public ConcurrentQueue<PeerRequest> Requests { get; } = new();

    /// <summary>Starts a peer whose <paramref name="answer"/> writes each response.</summary>
    public static async Task<Peer> StartAsync(Func<PeerRequest, HttpResponse, Task> answer)
    {
        var peer = new Peer();
        peer._host = await LoopbackHost.StartAsync(async http =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            var headers = http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            var request = new PeerRequest(http.Request.Method, http.Request.Path, http.Request.Path + http.Request.QueryString, body, headers, DateTimeOffset.UtcNow);
            peer.Requests.Enqueue(request);
            await answer(request, http.Response);
            peer._answered.Release();
        });
        return peer;
    }

    public string Url(string path) => _host.Url(path);

    /// <summary>Waits (generously) until <paramref name="count"/> requests have been answered.</summary>
    public async Task WaitForRequestsAsync(int count, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(30));
        while (Requests.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"Expected {count} requests, got {Requests.Count}");
            await _answered.WaitAsync(left);
        }
    }

    public static Task JsonAsync(HttpResponse response, int status, string json, params (string Name, string Value)[] headers)
    {
        response.StatusCode = status;
        foreach (var (name, value) in headers) response.Headers[name] = value;
        response.ContentType = "application/json";
        return response.WriteAsync(json);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
