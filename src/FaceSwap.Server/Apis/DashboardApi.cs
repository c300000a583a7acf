using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using FaceSwap.Core.Dispatch;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;
using FaceSwap.Server.Auth;
using FaceSwap.Server.Hosting;
using FaceSwap.Server.Wire;
using Microsoft.Extensions.Options;

namespace FaceSwap.Server.Apis;

/// <summary>
/// What the dashboard reads besides the spec's endpoints: the caller's recent jobs, paged, and one stream of
/// all their jobs' changes. Behind the bearer filter like every API call.
/// </summary>
public static class DashboardApi
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    public static RouteGroupBuilder MapDashboardApi(this RouteGroupBuilder api)
    {
        api.MapGet("/jobs/list", ListRecentJobs)
            .WithName("ListRecentJobs")
            .WithTags("Jobs")
            .WithSummary("The caller's recent jobs, newest first")
            .WithDescription($"""
                Every job of the caller that has not expired, newest first (by created time), each in the shape
                `GET /jobs/?jobid=` answers. `limit` is 1 to {MaxPageSize} (default {DefaultPageSize}); pass the answer's
                `next` as `before` for the page after it. `next` is absent on the last page.
                """)
            .Produces<JobPage>(StatusCodes.Status200OK)
            .Produces<ApiError>(StatusCodes.Status400BadRequest)
            .Produces<ApiError>(StatusCodes.Status401Unauthorized)
            .Produces<ApiError>(StatusCodes.Status402PaymentRequired);
        api.MapGet("/jobs/events", StreamJobEvents)
            .WithName("StreamJobEvents")
            .WithTags("Jobs")
            .WithSummary("A stream of the caller's job changes (server-sent events)")
            .WithDescription("""
                `text/event-stream`. First `event: ready` (from then on no change is missed: read `jobs/list` after
                it), then `event: job` with the job as `GET /jobs/?jobid=` shows it, each time one of the caller's
                jobs changes. Comment lines (`: keep-alive`) keep idle connections open. The stream ends when the
                client leaves, when the token stops being valid, or after `FaceSwap:Jobs:StreamLifetime`; reconnect.
                """)
            .Produces<string>(StatusCodes.Status200OK, "text/event-stream")
            .Produces<ApiError>(StatusCodes.Status401Unauthorized)
            .Produces<ApiError>(StatusCodes.Status402PaymentRequired);
        return api;
    }

    /// <summary>A page of <c>jobs/list</c>: jobs in the API's job shape, and the cursor of the next page.</summary>
    public sealed record JobPage(
        [property: Description("The jobs, each exactly as GET /jobs/?jobid= shows it")] IReadOnlyList<JsonObject> Jobs,
        [property: Description("The cursor of the next page, for before=; absent on the last page"),
                   JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Next = null);

    /// <summary>The query is read as text, so a malformed value gets the API's error shape, not the framework's.</summary>
    private static async Task<IResult> ListRecentJobs(
        [Description("How many jobs, 1 to 200 (default 50)")] string? limit,
        [Description("The next value of the previous page")] string? before,
        HttpContext http, IJobStore jobs, JobRetention retention, IOptions<ServerOptions> options)
    {
        var pageSize = DefaultPageSize;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxPageSize))
            return ApiError.Result(400, $"Query param limit must be a whole number from 1 to {MaxPageSize}");
        JobCursor? cursor = null;
        if (before is not null && (cursor = ParseCursor(before)) is null)
            return ApiError.Result(400, "Query param before is not a cursor from jobs/list", "Pass the next value of the previous page as it was given.");

        // One more than asked says whether another page follows.
        var found = await jobs.ListRecentAsync(Caller.Of(http).UserId, cursor, pageSize + 1, http.RequestAborted);
        // Jobs past retention answer 410 by id; the oldest come last, so the list simply ends before them.
        var page = found.Take(pageSize).TakeWhile(job => !retention.IsPast(job.Created)).ToList();
        var next = found.Count > pageSize && page.Count == pageSize ? Cursor(JobCursor.After(page[^1])) : null;
        var baseUrl = BaseUrls.Of(http, options.Value);
        return TypedResults.Json(new JobPage(page.Select(job => JobView.Render(job, baseUrl)).ToList(), next), JobPageJson);
    }

    private static readonly JsonSerializerOptions JobPageJson = new(JobView.WireJson) { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>A cursor is the created time in Unix milliseconds and the job id: <c>1764466000000-&lt;jobid&gt;</c>.</summary>
    public static string Cursor(JobCursor cursor) =>
        $"{cursor.Created.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}-{cursor.Id}";

    public static JobCursor? ParseCursor(string text)
    {
        var dash = text.IndexOf('-');
        if (dash <= 0 || dash == text.Length - 1 || text.Length > 100) return null;
        if (!long.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
            return null;
        var id = text[(dash + 1)..];
        return id.All(char.IsAsciiHexDigitLower) ? new JobCursor(DateTimeOffset.FromUnixTimeMilliseconds(ms), id) : null;
    }

    /// <summary>
    /// Subscribes before announcing <c>ready</c>, so a client that reads the list after <c>ready</c> misses no
    /// change. The token is checked again at every keep-alive: a revoked token's stream ends within one period.
    /// </summary>
    private static async Task StreamJobEvents(HttpContext http, JobNotifier notifier, FinishedJobCache rendered, TokenCache tokens, TimeProvider clock,
        IOptions<ServerOptions> options, IOptions<JobsOptions> jobOptions)
    {
        var caller = Caller.Of(http);
        var token = BearerTokenFilter.TokenOf(http.Request)!;
        var baseUrl = BaseUrls.Of(http, options.Value);
        var keepAlive = jobOptions.Value.StreamKeepAlive;
        using var expiry = new CancellationTokenSource(jobOptions.Value.StreamLifetime, clock);
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, expiry.Token);
        var stop = lifetime.Token;
        using var changes = notifier.SubscribeUser(caller.UserId);

        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        try
        {
            var next = changes.NextAsync(stop);
            // The first period starts before "ready" is sent, so whoever has read "ready" knows it runs.
            var keepAliveDue = Task.Delay(keepAlive, clock, stop);
            await http.Response.WriteAsync("event: ready\ndata: {}\n\n", stop);
            await http.Response.Body.FlushAsync(stop);
            while (true)
            {
                if (await Task.WhenAny(next, keepAliveDue) != next)
                {
                    await keepAliveDue;
                    if (!await tokens.StillAcceptsAsync(token, caller, clock.GetUtcNow(), stop)) break;
                    await http.Response.WriteAsync(": keep-alive\n\n", stop);
                    await http.Response.Body.FlushAsync(stop);
                    keepAliveDue = Task.Delay(keepAlive, clock, stop);
                    continue;
                }
                foreach (var job in await next)
                {
                    // The same bytes as GET /jobs/?jobid= (JSON has no line breaks, so it fits one data line).
                    var body = rendered.Render(job, baseUrl).Body;
                    await http.Response.WriteAsync("event: job\ndata: ", stop);
                    await http.Response.Body.WriteAsync(body, stop);
                    await http.Response.WriteAsync("\n\n", stop);
                }
                await http.Response.Body.FlushAsync(stop);
                next = changes.NextAsync(stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
