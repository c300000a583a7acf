using FaceSwap.Sandbox.Discord;

namespace FaceSwap.Sandbox.Http;

/// <summary>Turns stored messages into Discord's message objects, with CDN links for the host that asked.</summary>
public static class MessageWire
{
    /// <summary>Interaction responses are sent through the application's webhook, so Discord sets webhook_id to it.</summary>
    public static MessageObject ToWire(ChannelMessage message, Uri origin, CdnLinks cdn) => new()
    {
        Id = message.Id.ToString(),
        Type = message.Type,
        Content = message.Content,
        ChannelId = message.ChannelId,
        Author = UserObject.From(message.Author),
        Attachments = message.Attachments.Select(a => ToWire(a, origin, cdn)).ToArray(),
        Mentions = MentionedUsers(message),
        Timestamp = DiscordJson.FormatTimestamp(message.Timestamp),
        EditedTimestamp = message.EditedTimestamp is { } edited ? DiscordJson.FormatTimestamp(edited) : null,
        Flags = message.Flags,
        Nonce = message.Nonce,
        ApplicationId = message.ApplicationId,
        WebhookId = message.Interaction is null ? null : message.ApplicationId,
        InteractionMetadata = message.Interaction is { } meta
            ? new InteractionMetadataObject(meta.InteractionId.ToString(), meta.InteractionType, UserObject.From(meta.User), meta.Name,
                new Dictionary<string, string> { ["0"] = message.GuildId ?? "0" }, meta.TargetMessageId?.ToString())
            : null,
        MessageReference = message.Reference is { } reference
            ? new MessageReferenceObject(reference.MessageId.ToString(), reference.ChannelId, reference.GuildId)
            : null,
    };

    public static AttachmentObject ToWire(StoredAttachment attachment, Uri origin, CdnLinks cdn)
    {
        var (url, proxyUrl) = cdn.For(origin, attachment);
        return new AttachmentObject(attachment.Id.ToString(), attachment.Filename, attachment.Size, url, proxyUrl,
            attachment.ContentType, attachment.Width, attachment.Height);
    }

    public static Uri OriginOf(HttpRequest request) => new($"{request.Scheme}://{request.Host}");

    // The bot's replies start with "<@user>"; Discord lists such users in mentions. Only the id is known here.
    private static IReadOnlyList<object> MentionedUsers(ChannelMessage message) =>
        message.Interaction is { } meta && message.Content.Contains($"<@{meta.User.Id}>", StringComparison.Ordinal)
            ? [UserObject.From(meta.User)]
            : [];
}
