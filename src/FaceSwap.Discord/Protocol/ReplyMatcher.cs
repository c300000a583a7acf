namespace FaceSwap.Discord.Protocol;

/// <summary>How strongly a bot message was tied to one waiting command; stronger kinds are tried first.</summary>
public enum ReplyMatch
{
    None,
    Nonce,
    InteractionMetadata,
    MessageReference,
    TextToken,
}

/// <summary>
/// What one sent interaction expects to see in the channel. The engine learns more as replies arrive:
/// the first reply gives the interaction id and its own message id, which later messages (the result of
/// an async command) point back to.
/// </summary>
public sealed class ReplyExpectation
{
    public required string Nonce { get; init; }
    /// <summary>The slash command's name, as the bot echoes it in <c>interaction_metadata.name</c>.</summary>
    public string? CommandName { get; init; }
    public string? InteractionId { get; set; }
    public string? FirstReplyMessageId { get; set; }
    /// <summary>Text the bot's reply is known to contain for this job only: <c>[SaveID: 'x']</c>, <c>[jobid: …]</c>, <c>idname x created</c>.</summary>
    public List<string> TextTokens { get; init; } = [];
}

/// <summary>
/// Ties a bot message to the command that caused it, in the order that is least likely to be wrong:
/// nonce, then interaction metadata, then message reference, then text tokens. Time order, the last
/// resort, needs to know every waiting command of the channel and is decided by the channel poller.
/// </summary>
public static class ReplyMatcher
{
    public static bool IsFromBot(DiscordMessage message, string botApplicationId) =>
        message.Author?.Id == botApplicationId;

    public static ReplyMatch Match(ReplyExpectation expected, DiscordMessage message, string botApplicationId)
    {
        if (!IsFromBot(message, botApplicationId))
        {
            return ReplyMatch.None;
        }
        if (message.NonceText is { } nonce && nonce == expected.Nonce)
        {
            return ReplyMatch.Nonce;
        }
        if (message.InteractionMetadata?.Id is { } interactionId && interactionId == expected.InteractionId)
        {
            return ReplyMatch.InteractionMetadata;
        }
        if (message.MessageReference?.MessageId is { } referenced && referenced == expected.FirstReplyMessageId)
        {
            return ReplyMatch.MessageReference;
        }
        // A message that names another interaction, or answers one with a nonce, belongs to someone else:
        // a text token must not steal it (two jobs may use the same idname).
        if (message.NonceText is not null || message.InteractionMetadata?.Id is not null)
        {
            return ReplyMatch.None;
        }
        var content = message.Content ?? "";
        foreach (var token in expected.TextTokens)
        {
            if (token.Length > 0 && content.Contains(token, StringComparison.OrdinalIgnoreCase))
            {
                return ReplyMatch.TextToken;
            }
        }
        return ReplyMatch.None;
    }

    /// <summary>
    /// Whether an unclaimed bot message may be the reply to a command still waiting for its first reply:
    /// only a message that carries no tie of its own (no nonce, interaction, or reference).
    /// </summary>
    public static bool MayMatchByTimeOrder(ReplyExpectation expected, DiscordMessage message, string botApplicationId) =>
        IsFromBot(message, botApplicationId)
        && expected.FirstReplyMessageId is null
        && message.NonceText is null
        && message.InteractionMetadata is null
        && message.MessageReference is null;
}
