using System.Text.Json.Serialization;

namespace FaceSwap.Sandbox.Discord;

// The JSON shapes Discord's API v10 sends and receives, for the slice the engine uses. Property names become
// snake_case through DiscordJson.Options.

public sealed record UserObject(string Id, string Username, string? GlobalName, string Discriminator = "0", string? Avatar = null, bool? Bot = null)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string? GlobalName { get; init; } = GlobalName;
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string? Avatar { get; init; } = Avatar;

    public static UserObject From(MessageAuthor author) =>
        new(author.Id, author.Username, author.GlobalName, Bot: author.IsBot ? true : null);
}

public sealed record AttachmentObject(
    string Id, string Filename, long Size, string Url, string ProxyUrl, string ContentType, int? Width, int? Height);

public sealed record InteractionMetadataObject(string Id, int Type, UserObject User, string Name,
    Dictionary<string, string> AuthorizingIntegrationOwners, string? TargetMessageId);

public sealed record MessageReferenceObject(string MessageId, string ChannelId, string? GuildId, int Type = 0);

public sealed record MessageObject
{
    public required string Id { get; init; }
    public required int Type { get; init; }
    public required string Content { get; init; }
    public required string ChannelId { get; init; }
    public required UserObject Author { get; init; }
    public required IReadOnlyList<AttachmentObject> Attachments { get; init; }
    public IReadOnlyList<object> Embeds { get; init; } = [];
    public IReadOnlyList<object> Mentions { get; init; } = [];
    public IReadOnlyList<string> MentionRoles { get; init; } = [];
    public bool Pinned { get; init; }
    public bool MentionEveryone { get; init; }
    public bool Tts { get; init; }
    public required string Timestamp { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string? EditedTimestamp { get; init; }
    public int Flags { get; init; }
    public IReadOnlyList<object> Components { get; init; } = [];
    public string? Nonce { get; init; }
    public string? ApplicationId { get; init; }
    public string? WebhookId { get; init; }
    public InteractionMetadataObject? InteractionMetadata { get; init; }
    public MessageReferenceObject? MessageReference { get; init; }
}

public sealed record ErrorObject(string Message, int Code, object? Errors = null);

public sealed record RateLimitedObject(string Message, double RetryAfter, bool Global);
