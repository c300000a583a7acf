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
        return api;
    }

    private static async Task<IResult> GetJobOrList(HttpContext http, IJobStore jobs, IOptions<ServerOptions> options)
    {
        var caller = Caller.Of(http);
        var jobId = http.Request.Query["jobid"].ToString();
        if (string.IsNullOrWhiteSpace(jobId))
        {
            if (http.Request.Path.Value?.EndsWith('/') == true) return ApiError.NoJobId();
            return Results.Json(await jobs.ListExecutingAsync(caller.UserId, http.RequestAborted));
        }
        var (job, error) = await FindOwnJobAsync(jobs, caller, jobId, http.RequestAborted);
        return job is null ? error! : Results.Json(JobView.Render(job, BaseUrls.Of(http, options.Value)));
    }

    private static async Task<IResult> CancelJob(HttpContext http, IJobStore jobs, JobNotifier notifier, JobDispatcher dispatcher, TimeProvider clock)
    {
        var jobId = http.Request.Query["jobid"].ToString();
        if (string.IsNullOrWhiteSpace(jobId)) return ApiError.NoJobId();
        var (job, error) = await FindOwnJobAsync(jobs, Caller.Of(http), jobId, http.RequestAborted);
        if (job is null) return error!;
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

    /// <summary>Someone else's job is indistinguishable from a missing one: 404, never 403.</summary>
    public static async Task<(Job? Job, IResult? Error)> FindOwnJobAsync(IJobStore jobs, Caller caller, string jobId, CancellationToken cancellationToken)
    {
        var lookup = await jobs.FindAsync(jobId, cancellationToken);
        if (lookup.Expired) return (null, ApiError.JobExpired());
        if (lookup.Job is not { } job || job.UserId != caller.UserId) return (null, ApiError.JobNotFound(jobId));
        return (job, null);
    }
}
