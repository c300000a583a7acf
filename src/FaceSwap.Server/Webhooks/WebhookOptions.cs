namespace FaceSwap.Server.Webhooks;

/// <summary>Configuration section <c>FaceSwap:Webhooks</c>: replyUrl deliveries.</summary>
public sealed class WebhookOptions
{
    public const string Section = "FaceSwap:Webhooks";

    /// <summary>
    /// Delay before each attempt, the first included; each delay after the first is jittered by ±20%.
    /// Empty: <see cref="StandardSchedule"/>. (Configuration binding appends to a non-empty default array,
    /// so the default lives apart.)
    /// </summary>
    public TimeSpan[] RetrySchedule { get; set; } = [];

    /// <summary>The Standard Webhooks example schedule: ten attempts over about three days.</summary>
    public static readonly TimeSpan[] StandardSchedule =
    [
        TimeSpan.Zero, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
        TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(14), TimeSpan.FromHours(20), TimeSpan.FromHours(24),
    ];

    public TimeSpan[] Schedule => RetrySchedule.Length > 0 ? RetrySchedule : StandardSchedule;

    /// <summary>How long one POST may take before it counts as failed.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Host names deliveries may reach even when they resolve to non-public addresses.</summary>
    public string[] AllowedHosts { get; set; } = [];

    /// <summary>Address ranges (CIDR, e.g. <c>127.0.0.1/32</c>, <c>fd00::/8</c>) deliveries may reach although not public.</summary>
    public string[] AllowedNetworks { get; set; } = [];

    /// <summary>After a secret rotation the previous secret still signs (a second signature) this long.</summary>
    public TimeSpan SecretRotationOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How many deliveries are in flight at once, so one slow receiver never holds up the rest.</summary>
    public int MaxConcurrentDeliveries { get; set; } = 16;

    /// <summary>A claimed delivery whose node died is retried by another after this.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);
}
