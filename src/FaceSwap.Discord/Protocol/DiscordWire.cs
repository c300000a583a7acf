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

public sealed record DiscordInteractionMetadata(string? Id = null, int? Type = null, DiscordUser? User = null, string? Name = null);

public sealed record DiscordMessageReference(string? MessageId = null, string? ChannelId = null, string? GuildId = null);

/// <summary>A channel message with the fields the engine reads (docs/discord-wire.md).</summary>
public sealed record DiscordMessage
{
    /// <summary>Discord's LOADING flag: a deferred interaction reply ("… is thinking") that will be edited later.</summary>
    public const int LoadingFlag = 1 << 7;

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
    /// <summary>Discord sends a nonce as a string or an integer.</summary>
    public JsonElement? Nonce { get; init; }
    public DiscordInteractionMetadata? InteractionMetadata { get; init; }
    public DiscordMessageReference? MessageReference { get; init; }

    [JsonIgnore]
    public string? NonceText => Nonce switch
    {
        { ValueKind: JsonValueKind.String } n => n.GetString(),
        { ValueKind: JsonValueKind.Number } n => n.GetRawText(),
        _ => null,
    };

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
