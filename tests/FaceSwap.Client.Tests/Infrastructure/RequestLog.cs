using System.Collections.Concurrent;

namespace FaceSwap.Client.Tests.Infrastructure;

/// <summary>A handler under the client's retry handler: it sees every attempt that goes on the wire.</summary>
public sealed class RequestLog : DelegatingHandler
{
    public ConcurrentQueue<(string Method, string PathAndQuery, string? Prefer)> Sent { get; } = new();

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Sent.Enqueue((request.Method.Method, request.RequestUri!.PathAndQuery,
            request.Headers.TryGetValues("Prefer", out var prefer) ? string.Join(",", prefer) : null));
        return base.SendAsync(request, cancellationToken);
    }
}
