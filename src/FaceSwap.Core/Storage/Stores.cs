using FaceSwap.Core.Accounts;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Users;

namespace FaceSwap.Core.Storage;

/// <summary>What a job id resolves to: the job, a job past retention (answers 410), or nothing (404).</summary>
public sealed record JobLookup(Job? Job, bool Expired)
{
    public static readonly JobLookup Missing = new(null, false);
    public static readonly JobLookup Gone = new(null, true);
}

/// <summary>The outcome of inserting a blocking job: inserted, or refused because the channel is busy.</summary>
public sealed record JobInsertion(bool Inserted, IReadOnlyList<string> ExecutingJobs)
{
    public static readonly JobInsertion Done = new(true, []);
}

/// <summary>
/// Durable jobs. Every write is one transaction; <see cref="UpdateAsync"/> is the only way a job changes
/// and it never changes a terminal job, so "terminal states are final" holds whoever writes.
/// </summary>
public interface IJobStore
{
    /// <summary>
    /// Commits the job (leased to <paramref name="leaseOwner"/>). With <paramref name="exclusiveOnChannel"/>,
    /// refuses when the user's channel already runs a blocking job, in the same transaction, so two racing
    /// blocking requests cannot both get in.
    /// </summary>
    Task<JobInsertion> InsertAsync(Job job, bool exclusiveOnChannel, string leaseOwner, DateTimeOffset leaseUntil, CancellationToken cancellationToken);

    Task<JobLookup> FindAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Reads, applies <paramref name="change"/> and writes back in one transaction. Returns the stored job,
    /// or null when the job is missing, terminal, or <paramref name="change"/> returned null.
    /// </summary>
    Task<Job?> UpdateAsync(string id, Func<Job, Job?> change, CancellationToken cancellationToken);

    /// <summary>The user's jobs that are not terminal, oldest first.</summary>
    Task<IReadOnlyList<string>> ListExecutingAsync(long userId, CancellationToken cancellationToken);

    /// <summary>Takes over non-terminal jobs whose lease has run out (a crashed or stopped node's jobs).</summary>
    Task<IReadOnlyList<Job>> ClaimOrphansAsync(string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil, int max, CancellationToken cancellationToken);

    /// <summary>Extends the leases this owner holds on the given jobs; returns the ids it still holds.</summary>
    Task<IReadOnlySet<string>> RenewLeasesAsync(IReadOnlyCollection<string> ids, string leaseOwner, DateTimeOffset leaseUntil, CancellationToken cancellationToken);

    /// <summary>Jobs created before <paramref name="createdBefore"/> that are not yet expired.</summary>
    Task<IReadOnlyList<Job>> ListPastRetentionAsync(DateTimeOffset createdBefore, int max, CancellationToken cancellationToken);

    /// <summary>Drops everything but the id, so the job answers 410 from now on.</summary>
    Task MarkExpiredAsync(string id, CancellationToken cancellationToken);

    /// <summary>The user's job on that channel whose upstream message has this id (inswapper's target).</summary>
    Task<Job?> FindByMessageIdAsync(long userId, string channel, string messageId, CancellationToken cancellationToken);

    /// <summary>The job whose attachment has this id, for serving result files.</summary>
    Task<Attachment?> FindAttachmentAsync(string attachmentId, CancellationToken cancellationToken);
}

public interface IAccountStore
{
    Task<IReadOnlyList<Account>> ListAsync(long userId, CancellationToken cancellationToken);
    Task<Account?> GetAsync(long userId, string channel, CancellationToken cancellationToken);
    Task UpsertAsync(Account account, CancellationToken cancellationToken);
    Task<bool> DeleteAsync(long userId, string channel, CancellationToken cancellationToken);
    Task UpdateHealthAsync(long userId, string channel, AccountHealth health, string? detail, CancellationToken cancellationToken);
    Task UpdateCreditsAsync(long userId, string channel, Credits credits, CancellationToken cancellationToken);
}

public interface IUserStore
{
    Task<User> AddUserAsync(string name, DateTimeOffset? expires, CancellationToken cancellationToken);
    Task<User?> FindUserAsync(string name, CancellationToken cancellationToken);
    Task<IReadOnlyList<User>> ListUsersAsync(CancellationToken cancellationToken);
    Task SetExpiryAsync(long userId, DateTimeOffset? expires, CancellationToken cancellationToken);

    /// <summary>Stores only the token's hash; the caller shows the clear token once.</summary>
    Task<ApiToken> AddTokenAsync(long userId, string tokenHash, string hint, CancellationToken cancellationToken);
    Task<(ApiToken Token, User User)?> FindByTokenHashAsync(string tokenHash, CancellationToken cancellationToken);
    Task<int> RevokeTokensAsync(long userId, CancellationToken cancellationToken);

    /// <summary>
    /// The token of the <c>FaceSwap:Auth:BootstrapToken</c> setting: kept if it is the current one, else added in
    /// the same transaction that revokes every earlier token that setting held, so a replaced value stops working.
    /// </summary>
    Task EnsureBootstrapTokenAsync(long userId, string tokenHash, string hint, CancellationToken cancellationToken);
    Task<IReadOnlyList<ApiToken>> ListTokensAsync(long userId, CancellationToken cancellationToken);

    Task<WebhookSettings> GetWebhookSettingsAsync(long userId, CancellationToken cancellationToken);

    /// <summary>The user's default replyUrl, used by jobs submitted without one (null clears it), and the callbacks they opted in to.</summary>
    Task SetReplyUrlAsync(long userId, string? replyUrl, Webhooks.ReplyEvents events, CancellationToken cancellationToken);

    /// <summary>Stores the signing secrets (already encrypted by the caller).</summary>
    Task SetWebhookSecretsAsync(long userId, string currentProtected, string? previousProtected, DateTimeOffset? previousUntil, CancellationToken cancellationToken);
}

/// <summary>A user's replyUrl defaults, the callbacks they opted in to, and signing secrets (encrypted as stored).</summary>
public sealed record WebhookSettings(string? ReplyUrl, string? SecretProtected, string? PreviousSecretProtected, DateTimeOffset? PreviousUntil,
    Webhooks.ReplyEvents ReplyEvents = Webhooks.ReplyEvents.Final);

/// <summary>Input uploads and result files, by opaque id.</summary>
public interface IBlobStore
{
    Task<string> PutAsync(byte[] content, CancellationToken cancellationToken);
    Task<byte[]?> GetAsync(string blobId, CancellationToken cancellationToken);
    Task DeleteAsync(string blobId, CancellationToken cancellationToken);
}
