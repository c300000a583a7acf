namespace FaceSwap.Core.Jobs;

/// <summary>Configuration section <c>FaceSwap:Jobs</c>.</summary>
public sealed class JobsOptions
{
    public const string Section = "FaceSwap:Jobs";

    /// <summary>How long a job and its files are kept; after that it answers 410 (the API promises ≥31 days).</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(31);

    /// <summary>How long a blocking command holds the request before answering the job as it stands.</summary>
    public TimeSpan BlockingWait { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How long a node owns a running job without renewing; a dead node's jobs are taken over after it.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often to look for jobs whose owner died (and, at start-up, this node's own previous run).</summary>
    public TimeSpan RecoveryInterval { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetentionSweepInterval { get; set; } = TimeSpan.FromMinutes(10);

    public int MaxConcurrentJobs { get; set; } = 32;

    /// <summary>How often an idle job stream sends a keep-alive comment.</summary>
    public TimeSpan StreamKeepAlive { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The longest one job stream stays open (the client reconnects after it).</summary>
    public TimeSpan StreamLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Idempotency keys are kept at least this long.</summary>
    public TimeSpan IdempotencyKeyLifetime { get; set; } = TimeSpan.FromHours(24);
}
