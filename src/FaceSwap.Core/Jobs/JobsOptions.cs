namespace FaceSwap.Core.Jobs;

/// <summary>Configuration section <c>FaceSwap:Jobs</c>.</summary>
public sealed class JobsOptions
{
    public const string Section = "FaceSwap:Jobs";

    /// <summary>How long a job and its files are kept; after that it answers 410 (the API promises ≥31 days).</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(31);

    /// <summary>How long a blocking command holds the request before answering the job as it stands.</summary>
    public TimeSpan BlockingWait { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>
    /// How long a node holds a claimed job (queued or running) without renewing; it renews every third of
    /// this while it lives, and a dead node's jobs are claimed by another after it.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often to claim without a wake-up: jobs whose owner died, jobs another node inserted.</summary>
    public TimeSpan RecoveryInterval { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetentionSweepInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Claims a job may have: one claimed again after its runs were cut off (the process crashed) this many
    /// times fails with "gave up after N attempts" instead of running again.
    /// </summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Jobs running at once on engines that wait on others (discord): mostly waiting, so many.</summary>
    public int MaxConcurrentJobs { get; set; } = 32;

    /// <summary>Jobs running at once on the local engine, which is CPU-bound: its own budget, one per core.</summary>
    public int MaxConcurrentLocalJobs { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// Jobs of one user's channel (a lane) claimed at once, started oldest first; the next waits until one ends,
    /// so one flooded channel never holds the slots other channels need.
    /// </summary>
    public int MaxConcurrentJobsPerChannel { get; set; } = 8;

    /// <summary>How often an idle job stream sends a keep-alive comment.</summary>
    public TimeSpan StreamKeepAlive { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The longest one job stream stays open (the client reconnects after it).</summary>
    public TimeSpan StreamLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Idempotency keys are kept at least this long.</summary>
    public TimeSpan IdempotencyKeyLifetime { get; set; } = TimeSpan.FromHours(24);
}
