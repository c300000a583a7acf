using FaceSwap.Core.Accounts;
using FaceSwap.Core.Engines;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;

namespace FaceSwap.Core.Dispatch;

/// <summary>
/// One engine run of one job: every report is a single transactional write through the job store, which
/// refuses to touch a terminal job and checks that this node still holds the job's lease, followed by a
/// wake-up of the job's waiters. A write refused for a lost lease stops the run (<paramref name="leaseLost"/>).
/// </summary>
internal sealed class JobExecution(
    Job job,
    Account account,
    string leaseOwner,
    IJobStore jobs,
    IAccountStore accounts,
    IBlobStore blobs,
    JobNotifier notifier,
    Func<string, bool> clientWaiting,
    TimeProvider clock,
    Action leaseLost) : IJobExecution
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

    public Task<string?> NewestRecordedMessageIdAsync(CancellationToken cancellationToken) =>
        jobs.NewestMessageIdAsync(Job.Channel, cancellationToken);

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
        // The bot (or engine) just delivered: whatever was wrong with the account (credits, a lock) is over.
        // Healed before the job shows completed, so whoever sees the completion sees the account as it is now.
        if (Account.Health != AccountHealth.Ok)
            await accounts.UpdateHealthAsync(Account.UserId, Account.Channel, AccountHealth.Ok, null, CancellationToken.None);
        Job? stored;
        try
        {
            stored = await ChangeAsync(
                j => j with { Status = JobStatus.Completed, Upstream = Merge(j.Upstream, message), Attachments = [.. j.Attachments, .. attachments] },
                publish: true, CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            await DeleteAsync(attachments);
            throw;
        }
        // The job ended meanwhile (cancelled): its results have no owner, so they must not linger.
        if (stored is null) await DeleteAsync(attachments);
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
        var write = await jobs.UpdateLeasedAsync(Job.Id, leaseOwner, j => change(j) with { Updated = now }, cancellationToken);
        if (write.LeaseLost)
        {
            // Another node runs this job now: nothing of this run may land, so it ends here.
            leaseLost();
            throw new OperationCanceledException($"Job {Job.Id} is leased by another node now");
        }
        if (write.Stored is not { } stored) return null;
        Job = stored;
        if (publish) notifier.Publish(stored);
        return stored;
    }

    private async Task DeleteAsync(IEnumerable<Attachment> attachments)
    {
        foreach (var attachment in attachments) await blobs.DeleteAsync(attachment.BlobId, CancellationToken.None);
    }

    private static UpstreamMessage Merge(UpstreamMessage current, UpstreamMessage update) => new(
        update.MessageId ?? current.MessageId,
        update.Content ?? current.Content,
        update.Timestamp ?? current.Timestamp,
        update.EmbedsJson ?? current.EmbedsJson);
}
