namespace FaceSwap.Discord;

/// <summary>
/// Settings of the discord engine, bound from <c>FaceSwap:Discord</c>. Read through IOptionsMonitor at
/// every use: the server points <see cref="ApiBaseUrl"/> at the in-process sandbox after it started.
/// </summary>
public sealed class DiscordEngineOptions
{
    public const string SectionName = "FaceSwap:Discord";

    /// <summary>Discord's HTTP API root, version included.</summary>
    public string ApiBaseUrl { get; set; } = "https://discord.com/api/v10";

    /// <summary>The InsightFaceSwap bot (Picsi.Ai); only its messages count as replies.</summary>
    public string BotApplicationId { get; set; } = "1090660574196674713";

    /// <summary>
    /// The shortest gap between two history reads of a channel while a blocking answer is due or a client
    /// waits: one read serves every job of the channel.
    /// </summary>
    public TimeSpan FastPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Lower bound of the jittered interval used while only long async jobs wait.</summary>
    public TimeSpan SlowPollMin { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Upper bound of the jittered interval used while only long async jobs wait.</summary>
    public TimeSpan SlowPollMax { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long the bot may take to show any answer to an interaction. Discord gives a bot 3 seconds to
    /// acknowledge one; no visible answer by then means it refused privately (ephemeral) or never answered.
    /// </summary>
    public TimeSpan FirstReplyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long, from sending, a deferred ("thinking") or interim answer may take to become the final one.</summary>
    public TimeSpan ReplyTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>
    /// Subtracted from the send time before it becomes the snowflake replies must follow: our clock and
    /// Discord's may disagree by this much.
    /// </summary>
    public TimeSpan ClockSkewMargin { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long an async command (headshot, changebg, GIF/video picsi) may take to deliver its result.</summary>
    public TimeSpan AsyncResultTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Minimum gap between two interactions sent with the same token (bots and Discord dislike bursts).</summary>
    public TimeSpan InteractionPacing { get; set; } = TimeSpan.FromSeconds(1.2);

    /// <summary>How many 429 answers one request may meet before it gives up.</summary>
    public int MaxRateLimitRetries { get; set; } = 5;

    /// <summary>How many 5xx answers (or network failures) one request may meet before it gives up.</summary>
    public int MaxServerErrorRetries { get; set; } = 3;

    /// <summary>First backoff after a 5xx; doubled at each further try.</summary>
    public TimeSpan ServerErrorBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait a rate limit may impose before the request fails instead.</summary>
    public TimeSpan MaxRateLimitWait { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Sent as <c>session_id</c> of interactions. Without a gateway connection there is no real session;
    /// the web client's well-known placeholder is what REST-only clients send.
    /// </summary>
    public string SessionId { get; set; } = "f1a313a09ce079ce252459dc70231f30";

    public string UserAgent { get; set; } =
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36";
}
