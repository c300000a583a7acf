using FaceSwap.Core.Dispatch;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;
using FaceSwap.Server.Auth;
using FaceSwap.Server.Hosting;
using FaceSwap.Server.Wire;
using Microsoft.Extensions.Options;

namespace FaceSwap.Server.Apis;

/// <summary>Reading, listing and cancelling jobs. Spec section 4; <c>GET /jobs/?jobid=</c> is the seed page.</summary>
public static class JobsApi
{
    public static RouteGroupBuilder MapJobsApi(this RouteGroupBuilder api)
    {
        // One route serves /jobs and /jobs/: the slash decides between the list and the seed's 400.
        api.MapGet("/jobs", GetJobOrList);
        api.MapGet("/jobs/cancel", CancelJob);
        api.MapGet("/jobs/stream", StreamJob);
        return api;
    }

    /// <summary>
    /// The seed page. A terminal job is rendered once and then served from <see cref="FinishedJobCache"/>
    /// (its owner and retention checked on every read); any other job is one database read.
    /// </summary>
    private static async Task<IResult> GetJobOrList(HttpContext http, IJobStore jobs, JobWaiters waiters, FinishedJobCache finished,
        JobRetention retention, IOptions<ServerOptions> options)
    {
        var caller = Caller.Of(http);
        var jobId = http.Request.Query["jobid"].ToString();
        if (string.IsNullOrWhiteSpace(jobId))
        {
            if (http.Request.Path.Value?.EndsWith('/') == true) return ApiError.NoJobId();
            return Results.Json(await jobs.ListExecutingAsync(caller.UserId, http.RequestAborted));
        }
        var baseUrl = BaseUrls.Of(http, options.Value);
        var wait = PreferredWait(http.Request);
        if (finished.Find(jobId, baseUrl) is { } cached)
        {
            if (cached.UserId != caller.UserId) return ApiError.JobNotFound(jobId);
            if (retention.IsPast(cached.Created)) return ApiError.JobExpired();
            if (wait is { } nothingToWait) ApplyWait(http, nothingToWait);
            return cached.ToResult();
        }
        var (job, error) = await FindOwnJobAsync(jobs, retention, caller, jobId, http.RequestAborted);
        if (job is null) return error!;
        if (wait is { } timeout)
        {
            // RFC 7240 "Prefer: wait=N": hold the answer until the job is terminal or N seconds pass.
            ApplyWait(http, timeout);
            if (!job.Status.IsTerminal()) job = (await waiters.WaitForTerminalAsync(jobId, timeout, http.RequestAborted)).Job ?? job;
        }
        return finished.Render(job, baseUrl).ToResult();
    }

    /// <summary>The longest wait one request may ask for.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(60);

    private static void ApplyWait(HttpContext http, TimeSpan wait) =>
        http.Response.Headers["Preference-Applied"] = $"wait={(int)wait.TotalSeconds}";

    private static TimeSpan? PreferredWait(HttpRequest request) => Preferences.Wait(request, MaxWait);

    /// <summary>
    /// Server-sent events: the job now, then each change, until it is terminal; comments keep idle
    /// connections open through proxies. The token is checked again at every keep-alive, as on
    /// <c>jobs/events</c>: a revoked token's or an ended subscription's stream ends within one period.
    /// </summary>
    private static async Task StreamJob(HttpContext http, IJobStore jobs, JobWaiters waiters, FinishedJobCache finished, IOptions<ServerOptions> options,
        IOptions<JobsOptions> jobOptions, TokenCache tokens, TimeProvider clock)
    {
        var (job, refusal) = await JobOfQueryAsync(http, jobs);
        if (job is null)
        {
            await refusal!.ExecuteAsync(http);
            return;
        }
        var jobId = job.Id;
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        var baseUrl = BaseUrls.Of(http, options.Value);
        var keepAlive = jobOptions.Value.StreamKeepAlive;
        // Its own token, so that the watch can be ended (and then disposed) when the stream ends for any reason.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        await using var changes = waiters.WatchAsync(jobId, jobOptions.Value.StreamLifetime, stop.Token).GetAsyncEnumerator(stop.Token);
        var next = changes.MoveNextAsync().AsTask();
        try
        {
            var caller = Caller.Of(http);
            var token = BearerTokenFilter.TokenOf(http.Request)!;
            var keepAliveDue = Task.Delay(keepAlive, clock, http.RequestAborted);
            while (true)
            {
                if (await Task.WhenAny(next, keepAliveDue) != next)
                {
                    await keepAliveDue;
                    if (!await tokens.StillAcceptsAsync(token, caller, clock.GetUtcNow(), http.RequestAborted)) break;
                    await http.Response.WriteAsync(": keep-alive\n\n", http.RequestAborted);
                    await http.Response.Body.FlushAsync(http.RequestAborted);
                    keepAliveDue = Task.Delay(keepAlive, clock, http.RequestAborted);
                    continue;
                }
                if (!await next) break;
                var lookup = changes.Current;
                if (lookup.Job is null) break;
                // The same bytes as GET /jobs/?jobid= (JSON has no line breaks, so it fits one data line).
                var body = finished.Render(lookup.Job, baseUrl).Body;
                await http.Response.WriteAsync($"event: job\nid: {JobView.Timestamp(lookup.Job.Updated)}\ndata: ", http.RequestAborted);
                await http.Response.Body.WriteAsync(body, http.RequestAborted);
                await http.Response.WriteAsync("\n\n", http.RequestAborted);
                await http.Response.Body.FlushAsync(http.RequestAborted);
                next = changes.MoveNextAsync().AsTask();
            }
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
        }
        finally
        {
            // An enumerator can not be disposed while it waits for the next change: end that wait first.
            await stop.CancelAsync();
            try
            {
                await next;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private static async Task<IResult> CancelJob(HttpContext http, IJobStore jobs, JobNotifier notifier, JobDispatcher dispatcher, TimeProvider clock)
    {
        var (job, error) = await JobOfQueryAsync(http, jobs);
        if (job is null) return error!;
        var jobId = job.Id;
        var cancelled = await jobs.UpdateAsync(jobId, j => j with { Status = JobStatus.Cancelled, Updated = clock.GetUtcNow() }, http.RequestAborted);
        if (cancelled is null)
        {
            var current = (await jobs.FindAsync(jobId, http.RequestAborted)).Job ?? job;
            return ApiError.Result(409, $"Job {jobId} is {current.Status.ToWire()} and can not be cancelled", current.Status.ToWire());
        }
        notifier.Publish(cancelled);
        dispatcher.StopRun(jobId);
        return Results.Json(new { jobid = jobId, status = cancelled.Status.ToWire(), code = 200 });
    }

    /// <summary>The caller's job named by <c>?jobid=</c>, or the error to answer (400, 404 or 410).</summary>
    public static async Task<(Job? Job, IResult? Error)> JobOfQueryAsync(HttpContext http, IJobStore jobs)
    {
        var jobId = http.Request.Query["jobid"].ToString();
        if (string.IsNullOrWhiteSpace(jobId)) return (null, ApiError.NoJobId());
        return await FindOwnJobAsync(jobs, http.RequestServices.GetRequiredService<JobRetention>(), Caller.Of(http), jobId, http.RequestAborted);
    }

    /// <summary>
    /// Someone else's job is indistinguishable from a missing one: 404, never 403. Past retention a job is
    /// 410 at once, before the sweeper has deleted it (as it is after).
    /// </summary>
    public static async Task<(Job? Job, IResult? Error)> FindOwnJobAsync(IJobStore jobs, JobRetention retention, Caller caller, string jobId,
        CancellationToken cancellationToken)
    {
        var lookup = await jobs.FindAsync(jobId, cancellationToken);
        if (lookup.Expired || (lookup.Job is { } found && retention.IsPast(found.Created))) return (null, ApiError.JobExpired());
        if (lookup.Job is not { } job || job.UserId != caller.UserId) return (null, ApiError.JobNotFound(jobId));
        return (job, null);
    }
}
