using FaceSwap.Core.Accounts;
using FaceSwap.Core.Dispatch;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Webhooks;
using FaceSwap.Server.Auth;
using FaceSwap.Server.Hosting;
using FaceSwap.Server.Wire;
using Microsoft.Extensions.Options;

namespace FaceSwap.Server.Apis;

/// <summary>The eleven commands; each creates a job. Spec section 3.</summary>
public static class CommandsApi
{
    public static RouteGroupBuilder MapCommandsApi(this RouteGroupBuilder api)
    {
        foreach (var spec in CommandSpec.All)
        {
            api.MapMethods(spec.Route, [spec.Method], (HttpContext http, [AsParameters] CommandServices services) => SubmitAsync(spec, http, services))
                .DisableAntiforgery();
        }
        return api;
    }

    public sealed record CommandServices(
        IJobStore Jobs,
        IAccountStore Accounts,
        IUserStore Users,
        IIdempotencyStore IdempotencyKeys,
        IBlobStore Blobs,
        JobDispatcher Dispatcher,
        JobWaiters Waiters,
        IOptions<UploadOptions> Uploads,
        IOptions<JobsOptions> JobOptions,
        IOptions<ServerOptions> Server,
        TimeProvider Clock);

    private static async Task<IResult> SubmitAsync(CommandSpec spec, HttpContext http, CommandServices services)
    {
        var caller = Caller.Of(http);
        var input = await CommandInput.ReadAsync(http, spec, services.Uploads.Value.MaxFileBytes);
        Validate(spec, input, services.Uploads.Value);
        if (IdempotencyKeys.Of(http.Request) is not { } key) return await RunAsync(spec, http, services, caller, input);

        // Idempotency-Key: the first request with a key runs; a repeat gets its job instead of a second run.
        var claim = await services.IdempotencyKeys.BeginAsync(caller.UserId, key, IdempotencyKeys.Fingerprint(spec, input), services.Clock.GetUtcNow(), http.RequestAborted);
        switch (claim.State)
        {
            case IdempotencyState.Mismatch:
                return ApiError.Result(422, "Idempotency-Key was already used with another request", "Use a new key for a different request.");
            case IdempotencyState.Running:
                return ApiError.Result(409, "A request with this Idempotency-Key is still running", "Retry once it has finished.");
            case IdempotencyState.Done:
                var first = await services.Jobs.FindAsync(claim.JobId!, http.RequestAborted);
                if (first.Expired) return ApiError.JobExpired();
                http.Response.Headers["Idempotent-Replayed"] = "true";
                return Results.Json(JobView.Render(first.Job!, BaseUrls.Of(http, services.Server.Value)));
        }
        string? jobId = null;
        try
        {
            return await RunAsync(spec, http, services, caller, input, inserted => jobId = inserted);
        }
        finally
        {
            // Done once a job exists (even if this request was cut off while waiting); refused before that,
            // nothing happened, so the key is free for a retry.
            if (jobId is not null) await services.IdempotencyKeys.CompleteAsync(caller.UserId, key, jobId, CancellationToken.None);
            else await services.IdempotencyKeys.AbandonAsync(caller.UserId, key, CancellationToken.None);
        }
    }

    private static async Task<IResult> RunAsync(CommandSpec spec, HttpContext http, CommandServices services, Caller caller, CommandInput input,
        Action<string>? inserted = null)
    {
        var async = spec.Verb.IsAsync() || input.Uploads.Values.Any(u => u.Media.Kind != MediaKind.Image);
        var blocking = !async;
        var account = await ChannelSelection.PickAsync(spec, input.Field("channel"), caller.UserId, blocking, services.Accounts, services.Jobs, http.RequestAborted);
        if (account.Engine == EngineNames.Local && spec.Verb is Verb.ChangeBg or Verb.Headshot)
        {
            throw new ApiException(400, $"The local engine can not run {spec.Verb.ToWire()}",
                $"{spec.Verb.ToWire()} needs a generative model that the local engine does not have; run it on a discord channel.");
        }

        var replyUrl = input.Field("replyUrl") ?? (await services.Users.GetWebhookSettingsAsync(caller.UserId, http.RequestAborted)).ReplyUrl;
        var job = await StoreJobAsync(spec, input, caller, account, blocking, replyUrl, services, http.RequestAborted);
        if (job.Insertion is { Inserted: false } refused) return BusyError.Result(account.Channel, refused.ExecutingJobs);

        inserted?.Invoke(job.Job.Id);
        services.Dispatcher.Wake();
        var shown = blocking
            ? await services.Waiters.WaitForTerminalAsync(job.Job.Id, services.JobOptions.Value.BlockingWait, http.RequestAborted)
            : await services.Jobs.FindAsync(job.Job.Id, http.RequestAborted);
        return Results.Json(JobView.Render(shown.Job ?? job.Job, BaseUrls.Of(http, services.Server.Value)));
    }

    private static void Validate(CommandSpec spec, CommandInput input, UploadOptions uploads)
    {
        foreach (var name in spec.Required)
        {
            var present = spec.Uploads.ContainsKey(name) ? input.Uploads.ContainsKey(name) : input.Field(name) is not null;
            if (!present) throw new ApiException(400, $"Required param {name} is missing or empty");
        }
        foreach (var name in (string[])["replyUrl", "replyRef"])
        {
            if (input.Field(name) is { } value && value.Length > uploads.MaxReplyLength)
                throw new ApiException(400, $"Optional param {name} is too long", $"At most {uploads.MaxReplyLength} characters.");
        }
        if (input.Field("replyUrl") is { } url && !ReplyUrls.IsValid(url))
            throw new ApiException(400, $"Optional param replyUrl ({url}) is not a valid http(s) URL");
        if (spec.Idname is { } syntax && input.Field("idname") is { } idname && Idnames.Problem(idname, syntax) is { } problem)
            throw new ApiException(400, $"Required param idname ({idname}) is not valid", problem);
        foreach (var name in (string[])["saveid_idname", "swapid_idname"])
        {
            if (input.Field(name) is { } value && Idnames.Problem(value, IdnameSyntax.Single) is { } swapProblem)
                throw new ApiException(400, $"Optional param {name} ({value}) is not valid", swapProblem);
        }
    }

    private sealed record StoredJob(Job Job, JobInsertion Insertion);

    private static async Task<StoredJob> StoreJobAsync(CommandSpec spec, CommandInput input, Caller caller, Account account,
        bool blocking, string? replyUrl, CommandServices services, CancellationToken cancellationToken)
    {
        var files = new Dictionary<string, InputFile>();
        foreach (var upload in input.Uploads.Values)
        {
            var blobId = await services.Blobs.PutAsync(upload.Content, cancellationToken);
            files[upload.Field] = new InputFile(upload.Content.LongLength, upload.Media.ContentType, blobId, upload.FileName);
        }
        var now = services.Clock.GetUtcNow();
        var job = new Job
        {
            Id = JobIds.NewJobId(),
            UserId = caller.UserId,
            TokenId = caller.Token.Id,
            Verb = spec.Verb,
            Status = JobStatus.Created,
            Created = now,
            Updated = now,
            Channel = account.Channel,
            Server = account.Server,
            DiscordMasked = account.DiscordToken is { } token ? DiscordTokenProtector.Mask(token) : null,
            Blocking = blocking,
            Fields = spec.Required.Concat(spec.Optional).Where(n => !spec.Uploads.ContainsKey(n) && input.Field(n) is not null)
                .ToDictionary(n => n, n => input.Field(n)!),
            Files = files,
            ReplyUrl = replyUrl,
            ReplyRef = input.Field("replyRef"),
        };
        var insertion = await services.Jobs.InsertAsync(job, exclusiveOnChannel: blocking, CancellationToken.None);
        if (!insertion.Inserted)
        {
            // Refused: nothing of a rejected request stays behind.
            foreach (var file in files.Values) await services.Blobs.DeleteAsync(file.BlobId, CancellationToken.None);
        }
        return new StoredJob(job, insertion);
    }
}
