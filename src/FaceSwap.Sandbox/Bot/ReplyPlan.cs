namespace FaceSwap.Sandbox.Bot;

/// <summary>
/// How the bot answers one interaction, each a sequence real Discord produces
/// (developers/interactions/receiving-and-responding.mdx, "Interaction Callback Type" and "Followup Messages").
/// </summary>
public enum ReplyPattern
{
    /// <summary>CHANNEL_MESSAGE_WITH_SOURCE (4): the answer is the original response, posted when ready.</summary>
    Immediate,

    /// <summary>
    /// DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE (5): at once a message with flag LOADING (128) and empty content, later
    /// edited in place through <c>PATCH /webhooks/{app}/{token}/messages/@original</c> (same id, <c>edited_timestamp</c> set).
    /// </summary>
    Deferred,

    /// <summary>
    /// An interim text as the original response, then the answer as a follow-up message
    /// (<c>POST /webhooks/{app}/{token}</c>) whose <c>interaction_metadata.original_response_message_id</c> names it.
    /// </summary>
    FollowUp,

    /// <summary>An EPHEMERAL (64) refusal: only the invoking user's client sees it; never in channel history. The command does not run.</summary>
    EphemeralRefusal,

    /// <summary>
    /// No initial response within 3 seconds: the interaction token is invalidated and the client shows "The application
    /// did not respond" by itself; nothing is posted. The command does not run.
    /// </summary>
    NoResponse,
}

/// <summary>The snake_case names the control API uses for <see cref="ReplyPattern"/>.</summary>
public static class ReplyPatterns
{
    public static readonly IReadOnlyList<string> Names = Enum.GetValues<ReplyPattern>().Select(NameOf).ToArray();

    public static string NameOf(ReplyPattern pattern) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(pattern.ToString());

    public static ReplyPattern? Parse(string? name) => Enum.GetValues<ReplyPattern>().Cast<ReplyPattern?>().FirstOrDefault(p => NameOf(p!.Value) == name);
}

/// <summary>How an asynchronous job's result (headshot, changebg, animated picsi) arrives after "Job Submitted".</summary>
public enum AsyncResultStyle
{
    /// <summary>A new message from the bot user: type 19 (REPLY) with <c>message_reference</c> to the "Job Submitted" message.</summary>
    NewMessage,

    /// <summary>
    /// The "Job Submitted" message edited into the result (same id, <c>edited_timestamp</c> set). Only within the
    /// interaction token's 15 minutes; later results always come as <see cref="NewMessage"/>.
    /// </summary>
    EditFirstReply,
}

/// <summary>The seeded random plan: which pattern each interaction gets, and how much other traffic the channel has.</summary>
public sealed class ReplyPlanOptions
{
    /// <summary>Seed of the plan; null picks one at start (read it back from <see cref="SandboxServer.ReplySeed"/>).</summary>
    public int? Seed { get; set; }

    /// <summary>Patterns drawn from, uniformly. A test forces one by listing only it.</summary>
    public IReadOnlyList<ReplyPattern> Patterns { get; set; } = [ReplyPattern.Immediate, ReplyPattern.Deferred, ReplyPattern.FollowUp];

    /// <summary>Styles an asynchronous job's result is drawn from.</summary>
    public IReadOnlyList<AsyncResultStyle> AsyncResults { get; set; } = [AsyncResultStyle.NewMessage, AsyncResultStyle.EditFirstReply];

    /// <summary>
    /// Chance (0–1), at each interaction the channel receives and each answer the bot posts, that another user's message
    /// appears in the channel: plain chat, or another user's command and the bot's reply to it.
    /// </summary>
    public double OtherTraffic { get; set; } = 0.25;
}

/// <summary>One interaction's drawn plan.</summary>
public sealed record PlannedReply(ReplyPattern Pattern, AsyncResultStyle AsyncResult);

/// <summary>Draws plans from a seeded generator; thread-safe. The number of draws is kept so a restart continues the sequence.</summary>
public sealed class ReplyPlan
{
    private readonly ReplyPlanOptions _options;
    private readonly Random _patterns;
    private readonly Random _traffic;
    private readonly Lock _gate = new();

    public ReplyPlan(ReplyPlanOptions options, int seed)
    {
        if (options.Patterns.Count == 0) throw new ArgumentException("at least one reply pattern is needed", nameof(options));
        if (options.AsyncResults.Count == 0) throw new ArgumentException("at least one async result style is needed", nameof(options));
        if (options.OtherTraffic is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(options), "OtherTraffic is a chance between 0 and 1");
        _options = options;
        Seed = seed;
        _patterns = new Random(seed);
        _traffic = new Random(unchecked(seed * 31 + 7));
    }

    public int Seed { get; }
    public long PatternDraws { get; private set; }
    public long TrafficDraws { get; private set; }

    public PlannedReply Next()
    {
        lock (_gate)
        {
            PatternDraws++;
            return new(_options.Patterns[_patterns.Next(_options.Patterns.Count)], _options.AsyncResults[_patterns.Next(_options.AsyncResults.Count)]);
        }
    }

    /// <summary>Whether other traffic appears now; when it does, a number in [0, 1) picks what.</summary>
    public double? NextTraffic()
    {
        lock (_gate)
        {
            TrafficDraws++;
            double roll = _traffic.NextDouble(), pick = _traffic.NextDouble();
            return roll < _options.OtherTraffic ? pick : null;
        }
    }

    /// <summary>Replays draws already made before a restart, so the sequence continues where it was.</summary>
    internal void Skip(long patternDraws, long trafficDraws)
    {
        for (long i = 0; i < patternDraws; i++) Next();
        for (long i = 0; i < trafficDraws; i++) NextTraffic();
    }
}
