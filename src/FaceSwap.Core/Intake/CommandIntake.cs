using System.Security.Cryptography;
using System.Text;
using FaceSwap.Core.Accounts;
using FaceSwap.Core.Dispatch;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Webhooks;
using Microsoft.Extensions.Options;

namespace FaceSwap.Core.Intake;

/// <summary>
/// The one way a command becomes a job: check the request, honour its Idempotency-Key, pick the channel,
/// judge the replyUrl, store the inputs and the job, hand it to the dispatcher, and wait for what the API
/// answers with (a blocking command's end; an async command's first reply). Nothing of a refused request
/// is stored.
/// </summary>
public sealed class CommandIntake(
    IJobStore jobs,
    IAccountStore accounts,
    IUserStore users,
    IIdempotencyStore idempotencyKeys,
    IBlobStore blobs,
    EngineRegistry engines,
    JobDispatcher dispatcher,
    JobWaiters waiters,
    JobNotifier notifier,
    IReplyUrlGuard replyUrls,
    IOptions<JobsOptions> options,
    TimeProvider clock)
{
    public async Task<IntakeResult> SubmitAsync(Submission submission, CancellationToken cancellationToken)
    {
        try
        {
            var uploads = Check(submission);
            if (submission.IdempotencyKey is not { } key) return await RunAsync(submission, uploads, null, null, cancellationToken);
            return await RunOnceAsync(submission, uploads, key, cancellationToken);
        }
        catch (RefusedException refused)
        {
            return new IntakeResult.Refused(refused.Refusal);
        }
    }

    /// <summary>An upload that passed the checks: its bytes, and what its bytes say it is.</summary>
    private sealed record Upload(string Field, string FileName, byte[] Content, SniffedMedia Media);

    /// <summary>The checks that need nothing stored: lengths first (so nothing huge is echoed), files, required fields, syntax.</summary>
    private static List<Upload> Check(Submission submission)
    {
        var spec = submission.Command;
        foreach (var (name, value) in submission.Fields)
        {
            if (FieldLimits.Check(name, value) is { } tooLong) throw new RefusedException(tooLong);
        }
        var uploads = new List<Upload>();
        foreach (var file in submission.Files)
        {
            if (!spec.Uploads.TryGetValue(file.Field, out var kind) || file.Content.Length == 0) continue;
            var media = MediaSniffer.Sniff(file.Content);
            if (media is null || (kind == UploadKind.Image && media.Kind != MediaKind.Image))
            {
                var allowed = kind == UploadKind.Image ? "a PNG, JPEG or WebP image" : "a PNG, JPEG or WebP image, a GIF, or an MP4, MOV or WebM video";
                var declared = file.DeclaredType is { Length: > 100 } long_ ? long_[..100] + "…" : file.DeclaredType;
                throw new RefusedException(415, $"File {file.Field} is not a supported image", $"Its content is not {allowed} (declared type: {declared}).");
            }
            uploads.Add(new Upload(file.Field, SafeFileName(file.DeclaredName, media), file.Content, media));
        }
        foreach (var name in spec.Required)
        {
            var present = spec.Uploads.ContainsKey(name) ? uploads.Any(u => u.Field == name) : submission.Field(name) is not null;
            if (!present) throw new RefusedException(Refusal.MissingParam(name));
        }
        if (submission.Field("replyUrl") is { } url && !ReplyUrlSyntax.IsValid(url))
            throw new RefusedException(400, $"Optional param replyUrl ({url}) is not a valid http(s) URL");
        if (spec.Idname is { } syntax && submission.Field("idname") is { } idname && Idnames.Problem(idname, syntax) is { } problem)
            throw new RefusedException(400, $"Required param idname ({idname}) is not valid", problem);
        foreach (var name in (string[])["saveid_idname", "swapid_idname"])
        {
            if (submission.Field(name) is { } value && Idnames.Problem(value, IdnameSyntax.Single) is { } swapProblem)
                throw new RefusedException(400, $"Optional param {name} ({value}) is not valid", swapProblem);
        }
        return uploads;
    }

    /// <summary>Idempotency-Key: the first request with a key runs; a repeat gets its job instead of a second run.</summary>
    private async Task<IntakeResult> RunOnceAsync(Submission submission, List<Upload> uploads, string key, CancellationToken cancellationToken)
    {
        var claim = await idempotencyKeys.BeginAsync(submission.UserId, key, Fingerprint(submission, uploads), clock.GetUtcNow(), cancellationToken);
        switch (claim.State)
        {
            case IdempotencyState.Mismatch:
                throw new RefusedException(422, "Idempotency-Key was already used with another request", "Use a new key for a different request.");
            case IdempotencyState.Running:
                throw new RefusedException(409, "A request with this Idempotency-Key is still running", "Retry once it has finished.");
            case IdempotencyState.Done:
                var first = await jobs.FindAsync(claim.JobId!, cancellationToken);
                if (first.Expired || first.Job is null) throw new RefusedException(410, "Job has expired");
                return new IntakeResult.Accepted(first.Job, Replayed: true);
        }
        string? stored = null;
        try
        {
            return await RunAsync(submission, uploads,
                jobId => idempotencyKeys.AttachJobAsync(submission.UserId, key, jobId, CancellationToken.None),
                jobId => stored = jobId, cancellationToken);
        }
        finally
        {
            // Done once a job exists (even if this request was cut off while waiting); refused before that,
            // nothing happened, so the key is free for a retry.
            if (stored is not null) await idempotencyKeys.CompleteAsync(submission.UserId, key, stored, CancellationToken.None);
            else await idempotencyKeys.AbandonAsync(submission.UserId, key, CancellationToken.None);
        }
    }

    private async Task<IntakeResult> RunAsync(Submission submission, List<Upload> uploads,
        Func<string, Task>? storing, Action<string>? stored, CancellationToken cancellationToken)
    {
        var spec = submission.Command;
        var blocking = !(spec.Verb.IsAsync() || uploads.Any(u => u.Media.Kind != MediaKind.Image));
        var account = await ChannelSelection.PickAsync(spec, submission.Field("channel"), submission.UserId, blocking,
            accounts, jobs, engines, clock, cancellationToken);
        var settings = await users.GetWebhookSettingsAsync(submission.UserId, cancellationToken);
        var replyUrl = submission.Field("replyUrl") ?? settings.ReplyUrl;
        if (replyUrl is not null && await replyUrls.CheckAsync("replyUrl", replyUrl, cancellationToken) is { } refusedUrl)
        {
            throw new RefusedException(submission.Field("replyUrl") is not null ? refusedUrl
                : refusedUrl with { Details = $"It is your default replyUrl (POST /webhook): set another, or clear it with {{\"replyUrl\": null}}. {refusedUrl.Details}" });
        }

        var job = NewJob(submission, account, blocking, replyUrl, settings.ReplyEvents);
        if (storing is not null) await storing(job.Id);
        var files = new Dictionary<string, InputFile>();
        var inserted = false;
        try
        {
            foreach (var upload in uploads)
            {
                var blobId = await blobs.PutAsync(upload.Content, CancellationToken.None);
                files[upload.Field] = new InputFile(upload.Content.LongLength, upload.Media.ContentType, blobId, upload.FileName);
            }
            job = job with { Files = files };
            var insertion = await jobs.InsertAsync(job, exclusiveOnChannel: blocking, CancellationToken.None);
            if (!insertion.Inserted) throw new RefusedException(Refusal.Busy(account.Channel, insertion.ExecutingJobs));
            inserted = true;
        }
        finally
        {
            // Refused (or failed) before the job was stored: nothing of it stays behind.
            if (!inserted)
            {
                foreach (var file in files.Values) await blobs.DeleteAsync(file.BlobId, CancellationToken.None);
            }
        }
        stored?.Invoke(job.Id);
        // A new job is a change like any other: the user's event streams show it at once, and other nodes sharing
        // the database hear of it, so the node holding its channel claims it without waiting for its next scan.
        notifier.Publish(job);
        if (submission.RespondAsync)
        {
            // The job is committed: that is all a client that asked to be answered at once waits for.
            dispatcher.Wake();
            return new IntakeResult.Accepted(job, Replayed: false);
        }
        return new IntakeResult.Accepted(await WakeAndAnswerAsync(job, blocking, cancellationToken), Replayed: false);
    }

    private Job NewJob(Submission submission, Account account, bool blocking, string? replyUrl, ReplyEvents replyEvents)
    {
        var spec = submission.Command;
        var now = clock.GetUtcNow();
        return new Job
        {
            Id = JobIds.NewJobId(),
            UserId = submission.UserId,
            TokenId = submission.TokenId,
            Verb = spec.Verb,
            Status = JobStatus.Created,
            Created = now,
            Updated = now,
            Channel = account.Channel,
            Server = account.Server,
            DiscordMasked = account.DiscordToken is { } token ? DiscordTokenProtector.Mask(token) : null,
            Blocking = blocking,
            Fields = spec.Required.Concat(spec.Optional).Where(n => !spec.Uploads.ContainsKey(n) && submission.Field(n) is not null)
                .ToDictionary(n => n, n => submission.Field(n)!),
            ReplyUrl = replyUrl,
            ReplyRef = submission.Field("replyRef"),
            ReplyEvents = replyUrl is null ? ReplyEvents.Final : replyEvents,
        };
    }

    /// <summary>
    /// Wakes the dispatcher for the stored job and waits for what the request answers with. Blocking: the job once
    /// terminal. Async: the job once the bot's first reply is on it (it left <c>created</c> with the reply's
    /// content, or moved on further), as the vendor's docs show. Either way at most BlockingWait on the
    /// server's clock, then the job as it stands.
    /// </summary>
    private async Task<Job> WakeAndAnswerAsync(Job job, bool blocking, CancellationToken cancellationToken)
    {
        // Watching starts before the dispatcher is woken: the engine sees a waiting client from its first
        // step, and no change can slip between the wake-up and the wait. The watch ends quietly, with the job
        // as last seen, when the bound (or the request) is cancelled.
        await using var changes = waiters.WatchAsync(job.Id, options.Value.BlockingWait, cancellationToken).GetAsyncEnumerator(cancellationToken);
        var watching = await changes.MoveNextAsync();
        dispatcher.Wake();
        var shown = job;
        while (watching && changes.Current.Job is { } current)
        {
            shown = current;
            if (blocking ? current.Status.IsTerminal() : HasFirstReply(current)) break;
            watching = await changes.MoveNextAsync();
        }
        // The bound ended the watch: a change committed just before it may not have reached the watch yet, so the
        // answer is the job as stored.
        if (!watching && !cancellationToken.IsCancellationRequested && (await jobs.FindAsync(job.Id, CancellationToken.None)).Job is { } stored)
            shown = stored;
        return shown;
    }

    private static bool HasFirstReply(Job job) => job.Status switch
    {
        JobStatus.Created => false,
        JobStatus.Started => job.Upstream.Content is not null,
        _ => true,
    };

    /// <summary>
    /// A hash of what the request asks for: the command, its text fields and its files' bytes. Multipart
    /// boundaries and field order differ between two sends of the same request, so the raw body would not do.
    /// </summary>
    private static string Fingerprint(Submission submission, List<Upload> uploads)
    {
        var text = new StringBuilder(submission.Command.Verb.ToString()).Append('\n');
        foreach (var (name, value) in submission.Fields.OrderBy(f => f.Key, StringComparer.Ordinal))
            text.Append(name).Append('=').Append(value).Append('\n');
        foreach (var upload in uploads.OrderBy(u => u.Field, StringComparer.Ordinal))
            text.Append(upload.Field).Append(":sha256=").Append(Convert.ToHexStringLower(SHA256.HashData(upload.Content))).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static string SafeFileName(string declared, SniffedMedia media)
    {
        var stem = Path.GetFileNameWithoutExtension(declared);
        var clean = new string(stem.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_').Take(64).ToArray());
        return $"{(clean.Length > 0 ? clean : "upload")}.{media.Extension}";
    }
}
