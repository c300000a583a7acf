using System.Security.Cryptography;
using System.Text.Json;
using FaceSwap.Core.Jobs;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace FaceSwap.Server.Wire;

/// <summary>
/// A job's body as <c>GET /jobs/?jobid=</c> answers it (UTF-8, exactly <see cref="JobView.Render"/>'s bytes)
/// with its entity tag, and what a read must check before serving it: the owner and the created time.
/// </summary>
public sealed class RenderedJob
{
    private RenderedJob(Job job, string baseUrl, byte[] body)
    {
        JobId = job.Id;
        UserId = job.UserId;
        Created = job.Created;
        Terminal = job.Status.IsTerminal();
        BaseUrl = baseUrl;
        Body = body;
        ETag = new StringValues($"\"{Convert.ToHexStringLower(SHA256.HashData(body).AsSpan(0, 12))}\"");
    }

    public string JobId { get; }
    public long UserId { get; }
    public DateTimeOffset Created { get; }
    public bool Terminal { get; }
    /// <summary>The base of the result links in <see cref="Body"/>.</summary>
    public string BaseUrl { get; }
    public byte[] Body { get; }
    /// <summary>A strong entity tag: a hash of the body, so equal bodies have equal tags whoever renders them.</summary>
    public StringValues ETag { get; }

    public static RenderedJob Of(Job job, string baseUrl) =>
        new(job, baseUrl, JsonSerializer.SerializeToUtf8Bytes(JobView.Render(job, baseUrl), JobView.WireJson));

    /// <summary>200 with the body, or 304 when the request's <c>If-None-Match</c> names this body.</summary>
    public IResult ToResult() => new BodyResult(this);

    private sealed class BodyResult(RenderedJob job) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            var response = http.Response;
            response.Headers.ETag = job.ETag;
            if (Matches(http.Request.Headers.IfNoneMatch, job.ETag.ToString()))
            {
                response.StatusCode = StatusCodes.Status304NotModified;
                return Task.CompletedTask;
            }
            response.ContentType = "application/json; charset=utf-8";
            response.ContentLength = job.Body.Length;
            return response.Body.WriteAsync(job.Body, http.RequestAborted).AsTask();
        }

        /// <summary>RFC 9110 13.1.2: weak comparison, a list of tags or <c>*</c>.</summary>
        private static bool Matches(StringValues ifNoneMatch, string etag)
        {
            if (ifNoneMatch.Count == 0) return false;
            if (EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags))
            {
                var mine = new EntityTagHeaderValue(etag);
                foreach (var tag in tags)
                {
                    if (tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(mine, useStrongComparison: false)) return true;
                }
            }
            return false;
        }
    }
}
