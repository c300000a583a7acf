using System.Collections.Concurrent;

namespace FaceSwap.Server.Tests.Infrastructure;

/// <summary>One request a node sent to the emulated Discord, as the node's proxy saw it.</summary>
public sealed record ProxiedRequest(string Node, string Method, string PathAndQuery, DateTimeOffset At, int Status);

/// <summary>
/// A loopback forwarder in front of the one shared sandbox, one per node: each node's discord engine is pointed at
/// its own proxy, so the log says which node sent each Discord request (the sandbox alone cannot tell them apart).
/// </summary>
public sealed class RecordingProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Transfer-Encoding", "Keep-Alive", "Content-Length", "Content-Type",
    };

    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };
    private LoopbackHost _host = null!;

    private RecordingProxy()
    {
    }

    public Uri BaseUrl => _host.BaseUrl;

    public static async Task<RecordingProxy> StartAsync(string node, Uri target, ConcurrentQueue<ProxiedRequest> log)
    {
        var proxy = new RecordingProxy();
        var origin = new Uri(target.GetLeftPart(UriPartial.Authority));
        proxy._host = await LoopbackHost.StartAsync(async http =>
        {
            var pathAndQuery = http.Request.Path + http.Request.QueryString;
            var at = DateTimeOffset.UtcNow;
            using var request = new HttpRequestMessage(new HttpMethod(http.Request.Method), new Uri(origin, pathAndQuery));
            if (http.Request.ContentLength > 0 || http.Request.Headers.TransferEncoding.Count > 0)
            {
                var body = new MemoryStream();
                await http.Request.Body.CopyToAsync(body);
                request.Content = new ByteArrayContent(body.ToArray());
                if (http.Request.ContentType is { } type) request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
            }
            foreach (var header in http.Request.Headers.Where(h => !HopHeaders.Contains(h.Key)))
                request.Headers.TryAddWithoutValidation(header.Key, header.Value.ToArray());
            using var response = await proxy._http.SendAsync(request, http.RequestAborted);
            http.Response.StatusCode = (int)response.StatusCode;
            log.Enqueue(new ProxiedRequest(node, http.Request.Method, pathAndQuery, at, (int)response.StatusCode));
            foreach (var header in response.Headers.Concat(response.Content.Headers).Where(h => !HopHeaders.Contains(h.Key) || h.Key == "Content-Type"))
                http.Response.Headers[header.Key] = header.Value.ToArray();
            await response.Content.CopyToAsync(http.Response.Body);
        }, kestrel => kestrel.Limits.MaxRequestBodySize = null);
        return proxy;
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        _http.Dispose();
    }
}
