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

/// <summary>A job taken by a claim: which attempt this is (1 for the first run) and how many it may have.</summary>
public sealed record ClaimedJob(Job Job, int Attempt, int MaxAttempts)
{
    /// <summary>True when earlier runs were cut off (a crash) so often that this one must not run.</summary>
    public bool AttemptsExhausted => Attempt > MaxAttempts;
}

/// <summary>
/// The outcome of an owner-checked write: the stored job, or nothing written — because the job ended (or the
/// change declined), or because another node holds its lease now (<see cref="LeaseLost"/>: stop running it).
/// </summary>
public sealed record LeasedWrite(Job? Stored, bool LeaseLost)
{
    public static readonly LeasedWrite NotWritten = new(null, false);
    public static readonly LeasedWrite Lost = new(null, true);
}

/// <summary>Where a page of a user's jobs starts: after the job created at <see cref="Created"/> with this id.</summary>
public sealed record JobCursor(DateTimeOffset Created, string Id)
{
    public static JobCursor After(Job job) => new(job.Created, job.Id);
}

/// <summary>
/// Durable jobs, one row each; its columns say everything about execution (status, attempt, max attempts,
/// lease owner, lease until). A job is inserted unclaimed and enters execution one way only: a node's
/// <see cref="ClaimAsync"/>. Every write is one transaction and never changes a terminal job, so "terminal
/// states are final" holds whoever writes; an engine's writes also check that its node still holds the lease.
/// </summary>
public interface IJobStore
{
    /// <summary>
    /// Commits the job, unclaimed. With <paramref name="exclusiveOnChannel"/>, refuses when the user's channel
    /// already runs a blocking job, in the same transaction, so two racing blocking requests cannot both get in.
    /// </summary>
    Task<JobInsertion> InsertAsync(Job job, bool exclusiveOnChannel, CancellationToken cancellationToken);

    Task<JobLookup> FindAsync(string id, CancellationToken cancellationToken);

    /// <summary>The job if it is still executing and <paramref name="leaseOwner"/> holds its lease; else null.</summary>
    Task<Job?> FindLeasedAsync(string id, string leaseOwner, CancellationToken cancellationToken);

    /// <summary>
    /// A write by the job's user (a cancel): reads, applies <paramref name="change"/> and writes back in one
    /// transaction. Returns the stored job, or null when the job is missing, terminal, or
    /// <paramref name="change"/> returned null.
    /// </summary>
    Task<Job?> UpdateAsync(string id, Func<Job, Job?> change, CancellationToken cancellationToken);

    /// <summary>
    /// A write by the node running the job: as <see cref="UpdateAsync"/>, and refused unless
    /// <paramref name="leaseOwner"/> still holds the job's lease.
    /// </summary>
    Task<LeasedWrite> UpdateLeasedAsync(string id, string leaseOwner, Func<Job, Job?> change, CancellationToken cancellationToken);

    /// <summary>
    /// The user's jobs, newest first (by created time, then id), at most <paramref name="limit"/>, starting after
    /// <paramref name="before"/> when given; expired jobs are left out.
    /// </summary>
    Task<IReadOnlyList<Job>> ListRecentAsync(long userId, JobCursor? before, int limit, CancellationToken cancellationToken);

    /// <summary>The user's jobs that are not terminal, oldest first.</summary>
    Task<IReadOnlyList<string>> ListExecutingAsync(long userId, CancellationToken cancellationToken);

    /// <summary>The user's channels that have a blocking job executing: one read, whatever the user's backlog.</summary>
    Task<IReadOnlySet<string>> ListBusyChannelsAsync(long userId, CancellationToken cancellationToken);

    /// <summary>
    /// The one way into execution: in one statement, leases to <paramref name="leaseOwner"/> up to
    /// <paramref name="max"/> executing jobs that nobody holds (new, or their owner's lease ran out), and counts
    /// an attempt on each. Only the first <paramref name="laneDepth"/> executing jobs of each (user, channel)
    /// lane are eligible, oldest first, and lanes take turns (every lane's first, then every lane's second, …),
    /// so a flooded channel neither runs out of order nor crowds out the others.
    /// <para>
    /// A lane runs on one owner (node) at a time: no job of a lane is given to an owner while another owner holds
    /// a live lease on any executing job of that lane, so the lane moves only when that owner's leases end or run
    /// out (a dead node). Claims of one lane never interleave, so two owners claiming at once cannot both take it.
    /// An engine that works per channel (the Discord poller) thus runs on one node per channel cluster-wide.
    /// </para>
    /// </summary>
    Task<IReadOnlyList<ClaimedJob>> ClaimAsync(string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil, int laneDepth, int max, CancellationToken cancellationToken);

    /// <summary>
    /// Extends the leases this owner holds on the given jobs; returns the ids it still holds. A lease that ran out
    /// is renewed while nobody took its lane, never once another owner holds a lease there (the lane moved on).
    /// </summary>
    Task<IReadOnlySet<string>> HeartbeatAsync(IReadOnlyCollection<string> ids, string leaseOwner, DateTimeOffset leaseUntil, CancellationToken cancellationToken);

    /// <summary>
    /// Hands back leases at a clean stop, so the next start claims these jobs at once; the attempt this owner
    /// counted is given back too, since a clean stop is not a crash.
    /// </summary>
    Task ReleaseAsync(IReadOnlyCollection<string> ids, string leaseOwner, CancellationToken cancellationToken);

    /// <summary>Jobs created before <paramref name="createdBefore"/> that are not yet expired.</summary>
    Task<IReadOnlyList<Job>> ListPastRetentionAsync(DateTimeOffset createdBefore, int max, CancellationToken cancellationToken);

    /// <summary>Drops everything but the id, so the job answers 410 from now on.</summary>
    Task MarkExpiredAsync(string id, CancellationToken cancellationToken);

    /// <summary>The user's job on that channel whose upstream message has this id (inswapper's target).</summary>
    Task<Job?> FindByMessageIdAsync(long userId, string channel, string messageId, CancellationToken cancellationToken);

    /// <summary>
    /// The newest upstream message id any job of <paramref name="channel"/> (any user) has recorded, comparing ids
    /// as numbers (Discord snowflakes; digit strings without leading zeros); null when none has. It is durable
    /// and every node reads it, so a node that takes a channel over never hands a recorded answer to a new command.
    /// </summary>
    Task<string?> NewestMessageIdAsync(string channel, CancellationToken cancellationToken);

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
