namespace FaceSwap.Sandbox.Discord;

/// <summary>Message types the emulator produces (Discord's numbering).</summary>
public static class MessageTypes
{
    public const int Default = 0;
    public const int Reply = 19;
    public const int ChatInputCommand = 20;
    public const int ContextMenuCommand = 23;
}

public sealed record MessageAuthor(string Id, string Username, string? GlobalName, bool IsBot);

/// <summary>A file held by the emulated CDN. Bytes stay in memory: the sandbox is a test double, not storage.</summary>
public sealed record StoredAttachment(
    ulong Id,
    string ChannelId,
    string Filename,
    string ContentType,
    byte[] Bytes,
    int? Width,
    int? Height)
{
    public long Size => Bytes.LongLength;
}

/// <summary>Links a bot reply to the interaction that caused it (Discord's interaction_metadata).</summary>
public sealed record InteractionMetadata(ulong InteractionId, int InteractionType, MessageAuthor User, string Name, ulong? TargetMessageId);

public sealed record MessageReference(ulong MessageId, string ChannelId, string? GuildId);

/// <summary>One message in a channel's history, as the emulator stores it. Immutable: history is read concurrently.</summary>
public sealed record ChannelMessage(
    ulong Id,
    int Type,
    string ChannelId,
    string? GuildId,
    MessageAuthor Author,
    string Content,
    DateTimeOffset Timestamp,
    IReadOnlyList<StoredAttachment> Attachments,
    string? Nonce = null,
    InteractionMetadata? Interaction = null,
    MessageReference? Reference = null,
    string? ApplicationId = null,
    int Flags = 0,
    DateTimeOffset? EditedTimestamp = null);

public static class MessageFlags
{
    /// <summary>A deferred interaction response: the client shows "is thinking…" until the bot edits it.</summary>
    public const int Loading = 1 << 7;
}
