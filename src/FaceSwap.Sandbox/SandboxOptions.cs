using FaceSwap.Sandbox.Bot;
using FaceSwap.Sandbox.Discord;
using FaceSwap.Sandbox.Rendering;

namespace FaceSwap.Sandbox;

public sealed class SandboxOptions
{
    /// <summary>Port on 127.0.0.1; 0 picks a free one (read it back from <see cref="SandboxServer.ApiBaseUrl"/>).</summary>
    public int Port { get; set; }

    /// <summary>The InsightFaceSwap application id; its bot user has the same id.</summary>
    public string BotApplicationId { get; set; } = "1090660574196674713";

    /// <summary>Credits each Discord account gets per UTC day (the real free tier: 50).</summary>
    public int DailyCredits { get; set; } = 50;

    /// <summary>How long the bot takes for a blocking command's reply (saveid, swapid, …).</summary>
    public TimeSpan BotReplyDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long after the "Job Submitted" reply the result of headshot, changebg or an animated picsi appears.</summary>
    public TimeSpan AsyncResultDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The seeded random plan: each interaction's reply pattern, async result style, and other users' traffic.</summary>
    public ReplyPlanOptions Replies { get; set; } = new();

    /// <summary>
    /// Where the sandbox keeps its state: accounts, channels and their messages and files, saved ids, credits, uploads,
    /// and the bot's unfinished work. A sandbox started on the same state carries on where the last one stopped, and
    /// disposes the store when it stops. Null: memory only. <see cref="SandboxStateFolder"/> keeps it in a folder.
    /// </summary>
    public ISandboxStateStore? StateStore { get; set; }

    /// <summary>Makes result images; null: <see cref="OpenCvBotImageRenderer"/>.</summary>
    public IBotImageRenderer? Renderer { get; set; }

    /// <summary>Clock for snowflakes, timestamps, credits days and rate-limit windows.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>Per-route limits (<see cref="SandboxRoutes"/>). Discord's real numbers vary; these are of the same order.</summary>
    public Dictionary<string, RateLimitPolicy> RateLimits { get; set; } = new()
    {
        [SandboxRoutes.GetCurrentUser] = new(5, TimeSpan.FromSeconds(5)),
        [SandboxRoutes.GetCommandIndex] = new(5, TimeSpan.FromSeconds(5)),
        [SandboxRoutes.CreateAttachments] = new(10, TimeSpan.FromSeconds(5)),
        [SandboxRoutes.CreateInteraction] = new(5, TimeSpan.FromSeconds(5)),
        [SandboxRoutes.GetMessages] = new(30, TimeSpan.FromSeconds(5)),
        [SandboxRoutes.GetMessage] = new(30, TimeSpan.FromSeconds(5)),
        [SandboxRoutes.CreateMessage] = new(5, TimeSpan.FromSeconds(5)),
    };

    /// <summary>Discord's global limit: requests per second per token, across routes.</summary>
    public int GlobalRequestsPerSecond { get; set; } = 50;

    /// <summary>Messages kept per channel; older ones (and their files) are dropped.</summary>
    public int MaxMessagesPerChannel { get; set; } = 1000;

    /// <summary>Largest file an upload may declare (Discord's default limit for a free account).</summary>
    public long MaxUploadBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>
    /// The most pixels an image may have for the bot to decode it (the local engine's <c>FaceSwap:Local:MaxPixels</c>
    /// default). Checked on the header before decoding; a larger image is refused with a text.
    /// </summary>
    public long MaxPixels { get; set; } = OpenCvBotImageRenderer.DefaultMaxPixels;

    /// <summary>How long attachment links stay valid, like Discord's expiring CDN links.</summary>
    public TimeSpan AttachmentLinkLifetime { get; set; } = TimeSpan.FromHours(24);
}
