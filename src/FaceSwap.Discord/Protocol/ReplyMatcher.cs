namespace FaceSwap.Discord.Protocol;

/// <summary>How a bot message was tied to one waiting command; earlier kinds are tried first.</summary>
public enum ReplyMatch
{
    None,
    /// <summary>Is the command's first reply, or points at it: <c>message_reference</c> or <c>original_response_message_id</c>.</summary>
    Reference,
    /// <summary>Carries a token only this command's replies carry (<c>[jobid: …]</c>, a one-off idname).</summary>
    TextToken,
    /// <summary>The first answer to an interaction of our user and this command, sent after ours.</summary>
    FirstReply,
}

/// <summary>
/// What one sent interaction expects to see in the channel. Message history carries neither the nonce
/// nor (for a REST client) a known interaction id, so a reply is recognised by who asked, which command,
/// and when; the engine learns the first reply's id and the bot's job id as they arrive.
/// </summary>
public sealed class ReplyExpectation
{
    /// <summary>Our Discord user: <c>interaction_metadata.user.id</c> of every reply to our commands.</summary>
    public required string UserId { get; init; }
    /// <summary>The command's name, as it appears in <c>interaction_metadata.name</c> or the deprecated <c>interaction.name</c>.</summary>
    public required string CommandName { get; init; }
    /// <summary>A context-menu command (INSwapper) is answered with message type 23, a slash command with 20.</summary>
    public bool IsMessageCommand { get; init; }
    /// <summary>The message a message command was run on: <c>interaction_metadata.target_message_id</c> of its answers.</summary>
    public string? TargetMessageId { get; init; }
    /// <summary>
    /// A snowflake made from the moment the interaction was sent, less a clock-skew margin: every reply to
    /// it has a larger id (ids are creation times), every older message is someone else's.
    /// </summary>
    public required string SentAfter { get; init; }
    public string? FirstReplyMessageId { get; set; }
    /// <summary>
    /// The prompt the command carried (headshot, changebg): an answer echoing another prompt answers another
    /// command of our user, such as one sent before a restart whose reply a resumed command would otherwise take.
    /// </summary>
    public string? Prompt { get; init; }
    /// <summary>Text only this command's replies contain: <c>[SaveID: 'fs…']</c> of a one-off id, <c>[jobid: …]</c>.</summary>
    public List<string> TextTokens { get; init; } = [];
}

/// <summary>
/// Ties a bot message to the command that caused it, from what <c>GET /channels/{id}/messages</c> really
/// carries (developers/resources/message.mdx): the author, <c>interaction_metadata</c>, the message type,
/// <c>message_reference</c> and the id's time. One blocking command per channel at a time makes "the
/// first reply of our user to this command after we sent it" ours; the poller hands such replies to the
/// oldest waiting command first.
/// </summary>
public static class ReplyMatcher
{
    /// <summary>Interaction type APPLICATION_COMMAND (developers/interactions/receiving-and-responding.mdx).</summary>
    public const int ApplicationCommandInteraction = 2;

    public static bool IsFromBot(DiscordMessage message, string botApplicationId) =>
        message.Author?.Id == botApplicationId;

    public static ReplyMatch Match(ReplyExpectation expected, DiscordMessage message, string botApplicationId)
    {
        if (!IsFromBot(message, botApplicationId) || !IsAfter(message.Id, expected.SentAfter) || NamesAnotherUser(expected, message))
        {
            return ReplyMatch.None;
        }
        // The first answer itself (edited since: a restarted run has no claim on it yet), a follow-up to
        // it, or a reply to it.
        // (A context-menu answer's message_reference points at its target message, not at an answer.)
        if (expected.FirstReplyMessageId is { } first &&
            (message.Id == first
             || message.Type != DiscordMessage.ContextMenuCommandType && message.MessageReference?.MessageId == first
             || message.InteractionMetadata?.OriginalResponseMessageId == first))
        {
            return ReplyMatch.Reference;
        }
        var content = message.Content ?? "";
        if (expected.TextTokens.Any(t => t.Length > 0 && content.Contains(t, StringComparison.OrdinalIgnoreCase)))
        {
            return ReplyMatch.TextToken;
        }
        return IsFirstReply(expected, message) ? ReplyMatch.FirstReply : ReplyMatch.None;
    }

    /// <summary>
    /// An answer to an application command of our user with this command's name and kind. A follow-up
    /// (<c>original_response_message_id</c> set) counts only when its original response is not older than
    /// our interaction: the original may have been ephemeral, so the follow-up is the first we can see.
    /// </summary>
    private static bool IsFirstReply(ReplyExpectation expected, DiscordMessage message)
    {
        if (message.InteractionMetadata is not { } meta || meta.InvokingUserId != expected.UserId)
        {
            return false;
        }
        if (meta.Type is { } type && type != ApplicationCommandInteraction)
        {
            return false;
        }
        if (message.CommandName is { } name && !string.Equals(name, expected.CommandName, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        if (expected.TargetMessageId is { } target && meta.TargetMessageId is { } answered && answered != target)
        {
            return false; // a message command run on another message
        }
        if (expected.Prompt is { Length: > 0 } prompt && InsightFaceSwapReply.EchoedPrompt(message.Content ?? "") is { } echoed
            && !SamePrompt(prompt, echoed))
        {
            return false; // the answer to another command of ours, with another prompt
        }
        if (meta.OriginalResponseMessageId is { } original)
        {
            return IsAfter(original, expected.SentAfter);
        }
        var answerType = expected.IsMessageCommand ? DiscordMessage.ContextMenuCommandType : DiscordMessage.ChatInputCommandType;
        return message.Type == answerType;
    }

    /// <summary>
    /// Whether an echoed prompt is ours: the bot may append the options to it or shorten it, so one only has
    /// to begin with the other.
    /// </summary>
    private static bool SamePrompt(string sent, string echoed)
    {
        sent = sent.Trim();
        echoed = echoed.Trim().TrimEnd('…');
        return echoed.Length > 0 && (echoed.StartsWith(sent, StringComparison.OrdinalIgnoreCase) || sent.StartsWith(echoed, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>A message that answers someone else's interaction is never ours, whatever its text says.</summary>
    private static bool NamesAnotherUser(ReplyExpectation expected, DiscordMessage message) =>
        message.InteractionMetadata?.InvokingUserId is { } user && user != expected.UserId
        || message.Interaction?.User?.Id is { } legacyUser && legacyUser != expected.UserId;

    private static bool IsAfter(string id, string after) => Snowflake.Compare(id, after) > 0;
}
