using System.Text.Json;

namespace FaceSwap.Discord.Protocol;

public enum StepPhase
{
    /// <summary>The interaction may have been sent: on resume, look for its reply, never resend.</summary>
    Sent,
    /// <summary>The bot answered with a LOADING or interim message; the final answer is due.</summary>
    Answering,
    /// <summary>An async command was accepted; its result message is due.</summary>
    AwaitingResult,
}

/// <summary>
/// What the engine saves on the job (Job.EngineState) so a restarted server resumes without resending
/// an interaction: which step, when it was sent (replies have later snowflakes, so history is read from
/// there, never from the channel's start), the one-off idname, the channel's default ids before a swap,
/// and what the first reply taught.
/// </summary>
public sealed record DiscordJobState
{
    public int Step { get; init; }
    public StepPhase Phase { get; init; }
    /// <summary>Sent with the interaction, as Discord's clients do; history never carries it back.</summary>
    public string? Nonce { get; init; }
    public DateTimeOffset? SentAt { get; init; }
    /// <summary>
    /// The newest message already handed to an earlier command of the channel when this one was sent:
    /// answers to this command come after it (older saved states kept only this cursor, no <see cref="SentAt"/>).
    /// </summary>
    public string? After { get; init; }
    public string? OneOffIdname { get; init; }
    /// <summary>The channel's default idname(s) before a swap ("" for none): swap puts them back.</summary>
    public string? PreviousDefaults { get; init; }
    public string? FirstReplyMessageId { get; init; }
    public IReadOnlyList<string> TextTokens { get; init; } = [];
    /// <summary>The bot message that decided a swap, kept while the swap cleans up.</summary>
    public string? DecidingMessageId { get; init; }

    public string Serialize() => JsonSerializer.Serialize(this, DiscordJson.Options);

    public static DiscordJobState? Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<DiscordJobState>(json, DiscordJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
