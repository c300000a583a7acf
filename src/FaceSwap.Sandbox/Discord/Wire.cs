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

/// <summary>developers/resources/message.mdx, "Application Command Interaction Metadata Structure": no name, user as an object.</summary>
public sealed record InteractionMetadataObject(string Id, int Type, UserObject User,
    Dictionary<string, string> AuthorizingIntegrationOwners, string? OriginalResponseMessageId, string? TargetMessageId);

/// <summary>The deprecated <c>interaction</c> object (receiving-and-responding.mdx, "Message Interaction Structure").</summary>
public sealed record MessageInteractionObject(string Id, int Type, string Name, UserObject User);

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
    /// <summary>Only in the answer to creating a message (and the gateway); never in history.</summary>
    public string? Nonce { get; init; }
    public string? ApplicationId { get; init; }
    public string? WebhookId { get; init; }
    public InteractionMetadataObject? InteractionMetadata { get; init; }
    public MessageInteractionObject? Interaction { get; init; }
    public MessageReferenceObject? MessageReference { get; init; }

    /// <summary>Types 19 and 23 only (message.mdx, note [4]); absent when the referenced message is no longer held.</summary>
    public MessageObject? ReferencedMessage { get; init; }
}

public sealed record ErrorObject(string Message, int Code, object? Errors = null);

public sealed record RateLimitedObject(string Message, double RetryAfter, bool Global);
