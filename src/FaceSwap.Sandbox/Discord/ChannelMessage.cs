namespace FaceSwap.Sandbox.Discord;

/// <summary>Message types the emulator produces (developers/resources/message.mdx, "Message Types").</summary>
public static class MessageTypes
{
    public const int Default = 0;
    public const int Reply = 19;
    public const int ChatInputCommand = 20;
    public const int ContextMenuCommand = 23;
}

/// <summary>Message flags the emulator sets (developers/resources/message.mdx, "Message Flags").</summary>
public static class MessageFlags
{
    /// <summary>1 &lt;&lt; 6: "only visible to the user who invoked the Interaction"; never in channel history.</summary>
    public const int Ephemeral = 1 << 6;

    /// <summary>1 &lt;&lt; 7: "an Interaction Response and the bot is 'thinking'" (a deferred response, edited later).</summary>
    public const int Loading = 1 << 7;
}

public sealed record MessageAuthor(string Id, string Username, string? GlobalName, bool IsBot);

/// <summary>A file held by the emulated CDN.</summary>
public sealed record StoredAttachment(
    ulong Id,
    string ChannelId,
    string Filename,
    string ContentType,
    byte[] Bytes,
    int? Width,
    int? Height)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public long Size => Bytes.LongLength;
}

/// <summary>
/// Links a bot message to the interaction that caused it (developers/resources/message.mdx, "Application Command
/// Interaction Metadata Structure"). <see cref="CommandName"/> is not part of that object: only the deprecated
/// <c>interaction</c> object of an original response carries the name (receiving-and-responding.mdx, "Message
/// Interaction Structure").
/// </summary>
public sealed record InteractionMetadata(
    ulong InteractionId,
    MessageAuthor User,
    string CommandName,
    ulong? TargetMessageId = null,
    ulong? OriginalResponseMessageId = null)
{
    /// <summary>APPLICATION_COMMAND (receiving-and-responding.mdx, "Interaction Type").</summary>
    public const int ApplicationCommand = 2;

    /// <summary>The original response, not a follow-up: only follow-ups name the original response message.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsOriginalResponse => OriginalResponseMessageId is null;
}

public sealed record MessageReference(ulong MessageId, string ChannelId, string? GuildId);

/// <summary>
/// One message in a channel's history, as the emulator stores it. Immutable: history is read concurrently. There is
/// no nonce here: a nonce is only echoed in the response to creating a message and in the gateway's MESSAGE_CREATE
/// (developers/resources/message.mdx, Create Message "nonce"), never in history.
/// </summary>
public sealed record ChannelMessage(
    ulong Id,
    int Type,
    string ChannelId,
    string? GuildId,
    MessageAuthor Author,
    string Content,
    DateTimeOffset Timestamp,
    IReadOnlyList<StoredAttachment> Attachments,
    InteractionMetadata? Interaction = null,
    MessageReference? Reference = null,
    string? ApplicationId = null,
    string? WebhookId = null,
    int Flags = 0,
    DateTimeOffset? EditedTimestamp = null,
    IReadOnlyList<MessageAuthor>? Mentions = null);
