using FaceSwap.Core.Accounts;
using FaceSwap.Core.Engines;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;

namespace FaceSwap.Core.Dispatch;

/// <summary>
/// One engine run of one job: every report is a single transactional write through the job store (which
/// refuses to touch a terminal job), followed by a wake-up of the job's waiters.
/// </summary>
internal sealed class JobExecution(
    Job job,
    Account account,
    IJobStore jobs,
    IAccountStore accounts,
    IBlobStore blobs,
    JobNotifier notifier,
    Func<string, bool> clientWaiting,
    TimeProvider clock) : IJobExecution
{
    public Job Job { get; private set; } = job;
    public Account Account { get; } = account;
    public bool ClientWaiting => clientWaiting(Job.Id);

    public async Task<InputContent> ReadInputAsync(string field, CancellationToken cancellationToken)
    {
        if (!Job.Files.TryGetValue(field, out var file))
            throw new InvalidOperationException($"Job {Job.Id} has no input file {field}");
        var content = await blobs.GetAsync(file.BlobId, cancellationToken)
            ?? throw new InvalidOperationException($"The stored input {field} of job {Job.Id} is missing");
        return new InputContent(file.FileName, file.Type, content);
    }

    public Task SaveEngineStateAsync(string state, CancellationToken cancellationToken) =>
        ChangeAsync(j => j with { EngineState = state }, publish: false, cancellationToken);

    public Task ReportAsync(JobStatus status, UpstreamMessage message, CancellationToken cancellationToken)
    {
        if (status.IsTerminal()) throw new ArgumentException("Use CompleteAsync or FailAsync for terminal states", nameof(status));
        return ChangeAsync(j => j with { Status = status, Upstream = Merge(j.Upstream, message) }, publish: true, cancellationToken);
    }

    public async Task CompleteAsync(UpstreamMessage message, IReadOnlyList<ResultFile> files, CancellationToken cancellationToken)
    {
        var attachments = new List<Attachment>();
        foreach (var file in files)
        {
            var blobId = await blobs.PutAsync(file.Content, cancellationToken);
            attachments.Add(new Attachment(JobIds.NewAttachmentId(), file.ContentType, file.FileName,
                file.Content.LongLength, file.Width, file.Height, blobId, file.UpstreamId));
        }
        if (Account.Health != AccountHealth.Ok)
        {
            // A job just went through: whatever was wrong with the account (credits, a lock) is over. Healed before
            // the completion is published, so whoever it wakes reads the account as it now is.
            await accounts.UpdateHealthAsync(Account.UserId, Account.Channel, AccountHealth.Ok, null, CancellationToken.None);
        }
        var stored = await ChangeAsync(
            j => j with { Status = JobStatus.Completed, Upstream = Merge(j.Upstream, message), Attachments = [.. j.Attachments, .. attachments] },
            publish: true, CancellationToken.None);
        if (stored is null)
        {
            // The job ended meanwhile (cancelled): its results have no owner, so they must not linger.
            foreach (var attachment in attachments) await blobs.DeleteAsync(attachment.BlobId, CancellationToken.None);
        }
    }

    public Task FailAsync(string error, string? errorDetails, UpstreamMessage? message, bool moderated, CancellationToken cancellationToken) =>
        ChangeAsync(j => j with
        {
            Status = moderated ? JobStatus.Moderated : JobStatus.Failed,
            Error = error,
            ErrorDetails = errorDetails,
            Upstream = message is null ? j.Upstream : Merge(j.Upstream, message),
        }, publish: true, CancellationToken.None);

    public Task SetAccountHealthAsync(AccountHealth health, string? detail, CancellationToken cancellationToken) =>
        accounts.UpdateHealthAsync(Account.UserId, Account.Channel, health, detail, cancellationToken);

    public Task SetCreditsAsync(Credits credits, CancellationToken cancellationToken) =>
        accounts.UpdateCreditsAsync(Account.UserId, Account.Channel, credits, cancellationToken);

    private async Task<Job?> ChangeAsync(Func<Job, Job> change, bool publish, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var stored = await jobs.UpdateAsync(Job.Id, j => change(j) with { Updated = now }, cancellationToken);
        if (stored is null) return null;
        Job = stored;
        if (publish) notifier.Publish(stored);
        return stored;
    }

    private static UpstreamMessage Merge(UpstreamMessage current, UpstreamMessage update) => new(
        update.MessageId ?? current.MessageId,
        update.Content ?? current.Content,
        update.Timestamp ?? current.Timestamp,
        update.EmbedsJson ?? current.EmbedsJson);
}
