using System.Text.Json;

namespace FaceSwap.Discord.Protocol;

public enum StepPhase
{
    /// <summary>The interaction may have been sent: on resume, look for its reply, never resend.</summary>
    Sent,
    /// <summary>An async command was accepted; its result message is due.</summary>
    AwaitingResult,
}

/// <summary>
/// What the engine saves on the job (Job.EngineState) so a restarted server resumes without resending
/// an interaction: which step, its nonce, the channel cursor from before it was sent, the one-off idname,
/// and what the first reply taught.
/// </summary>
public sealed record DiscordJobState
{
    public int Step { get; init; }
    public StepPhase Phase { get; init; }
    public string? Nonce { get; init; }
    public string? After { get; init; }
    public string? OneOffIdname { get; init; }
    public string? InteractionId { get; init; }
    public string? FirstReplyMessageId { get; init; }
    public IReadOnlyList<string> TextTokens { get; init; } = [];

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
