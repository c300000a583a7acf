using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceSwap.Discord.Protocol;

/// <summary>Discord spells JSON in snake_case; every wire type here is read and written with these options.</summary>
internal static class DiscordJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };
}

public sealed record DiscordUser(string Id, string? Username = null, string? GlobalName = null, bool? Bot = null);

public sealed record DiscordAttachment(
    string Id,
    string? Filename = null,
    long? Size = null,
    string? Url = null,
    string? ProxyUrl = null,
    int? Width = null,
    int? Height = null,
    string? ContentType = null);

/// <summary>
/// <c>interaction_metadata</c> of a message sent in answer to an interaction (developers/resources/message.mdx,
/// "Message Interaction Metadata Object"). <c>user</c> is documented; some libraries and emulators send
/// <c>user_id</c> instead, so both are read. <c>name</c> is not documented there but clients see it.
/// </summary>
public sealed record DiscordInteractionMetadata(
    string? Id = null,
    int? Type = null,
    DiscordUser? User = null,
    string? UserId = null,
    string? Name = null,
    string? OriginalResponseMessageId = null,
    string? TargetMessageId = null)
{
    [JsonIgnore]
    public string? InvokingUserId => User?.Id ?? UserId;
}

/// <summary>The deprecated <c>interaction</c> field of a message: the only documented place of the command's name.</summary>
public sealed record DiscordMessageInteraction(string? Id = null, int? Type = null, string? Name = null, DiscordUser? User = null);

public sealed record DiscordMessageReference(string? MessageId = null, string? ChannelId = null, string? GuildId = null);

/// <summary>A channel message with the fields the engine reads (docs/discord-wire.md).</summary>
public sealed record DiscordMessage
{
    /// <summary>Discord's LOADING flag: a deferred interaction reply ("… is thinking") that will be edited later.</summary>
    public const int LoadingFlag = 1 << 7;

    /// <summary>Message type REPLY (developers/resources/message.mdx, "Message Types").</summary>
    public const int ReplyType = 19;
    /// <summary>Message type CHAT_INPUT_COMMAND: the answer to a slash command.</summary>
    public const int ChatInputCommandType = 20;
    /// <summary>Message type CONTEXT_MENU_COMMAND: the answer to a user or message command.</summary>
    public const int ContextMenuCommandType = 23;

    public required string Id { get; init; }
    public int Type { get; init; }
    public string? ChannelId { get; init; }
    public DiscordUser? Author { get; init; }
    public string? Content { get; init; }
    public string? Timestamp { get; init; }
    public string? EditedTimestamp { get; init; }
    public int? Flags { get; init; }
    public IReadOnlyList<DiscordAttachment> Attachments { get; init; } = [];
    /// <summary>Kept raw: the job carries the bot's embeds as Discord sent them.</summary>
    public JsonElement? Embeds { get; init; }
    public DiscordInteractionMetadata? InteractionMetadata { get; init; }
    /// <summary>Deprecated by Discord in favour of <see cref="InteractionMetadata"/>; read only for the command name.</summary>
    public DiscordMessageInteraction? Interaction { get; init; }
    public DiscordMessageReference? MessageReference { get; init; }

    /// <summary>The command name the message answers, where Discord says it.</summary>
    [JsonIgnore]
    public string? CommandName => InteractionMetadata?.Name ?? Interaction?.Name;

    [JsonIgnore]
    public bool IsLoading => Flags is { } f && (f & LoadingFlag) != 0;

    [JsonIgnore]
    public string? EmbedsJson => Embeds is { ValueKind: JsonValueKind.Array } e ? e.GetRawText() : null;
}

public sealed record ApplicationCommandOption(int Type, string Name, string? Description = null, bool? Required = null);

public sealed record ApplicationCommand(
    string Id,
    string ApplicationId,
    string Version,
    string Name,
    int Type,
    string? Description = null,
    IReadOnlyList<ApplicationCommandOption>? Options = null);

public sealed record ApplicationCommandIndex(
    IReadOnlyList<DiscordApplication>? Applications,
    IReadOnlyList<ApplicationCommand>? ApplicationCommands);

public sealed record DiscordApplication(string Id, string? Name = null);

internal sealed record AttachmentSlotRequest(IReadOnlyList<AttachmentSlotFile> Files);

internal sealed record AttachmentSlotFile(string Id, string Filename, long FileSize);

internal sealed record AttachmentSlotResponse(IReadOnlyList<AttachmentSlot> Attachments);

internal sealed record AttachmentSlot(JsonElement Id, string UploadUrl, string UploadFilename);

/// <summary>A file that went up through an upload slot, referenced by index from the interaction.</summary>
public sealed record UploadedAttachment(string Filename, string UploadedFilename);
