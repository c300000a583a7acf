using FaceSwap.Sandbox.Discord;

namespace FaceSwap.Sandbox.Http;

/// <summary>Turns stored messages into Discord's message objects (developers/resources/message.mdx), with CDN links for the host that asked.</summary>
public static class MessageWire
{
    /// <summary>
    /// The message as history serves it. <paramref name="history"/> resolves <c>referenced_message</c> for types 19 and
    /// 23; <paramref name="nonce"/> is set only by the create-message answer (message.mdx: the nonce "will appear in the
    /// Message Create event", never in Get Channel Messages).
    /// </summary>
    public static MessageObject ToWire(ChannelMessage message, Uri origin, CdnLinks cdn, ChannelHistory? history = null, string? nonce = null) => new()
    {
        Id = message.Id.ToString(),
        Type = message.Type,
        Content = message.Content,
        ChannelId = message.ChannelId,
        Author = UserObject.From(message.Author),
        Attachments = message.Attachments.Select(a => ToWire(a, origin, cdn)).ToArray(),
        Mentions = (message.Mentions ?? []).Select(UserObject.From).ToArray(),
        Timestamp = DiscordJson.FormatTimestamp(message.Timestamp),
        EditedTimestamp = message.EditedTimestamp is { } edited ? DiscordJson.FormatTimestamp(edited) : null,
        Flags = message.Flags,
        Nonce = nonce,
        ApplicationId = message.ApplicationId,
        WebhookId = message.WebhookId,
        InteractionMetadata = message.Interaction is { } meta
            ? new InteractionMetadataObject(meta.InteractionId.ToString(), InteractionMetadata.ApplicationCommand, UserObject.From(meta.User),
                // GUILD_INSTALL ("0") → the guild id (receiving-and-responding.mdx, "Authorizing Integration Owners Object").
                new Dictionary<string, string> { ["0"] = message.GuildId ?? "0" },
                meta.OriginalResponseMessageId?.ToString(), meta.TargetMessageId?.ToString())
            : null,
        // The deprecated object is "sent if the message is a response to an interaction": the original response only.
        Interaction = message.Interaction is { IsOriginalResponse: true } original
            ? new MessageInteractionObject(original.InteractionId.ToString(), InteractionMetadata.ApplicationCommand, original.CommandName,
                UserObject.From(original.User))
            : null,
        MessageReference = message.Reference is { } reference
            ? new MessageReferenceObject(reference.MessageId.ToString(), reference.ChannelId, reference.GuildId)
            : null,
        ReferencedMessage = message.Reference is { } target && message.Type is MessageTypes.Reply or MessageTypes.ContextMenuCommand
                            && history?.Find(target.MessageId) is { } referenced
            ? ToWire(referenced, origin, cdn)
            : null,
    };

    public static AttachmentObject ToWire(StoredAttachment attachment, Uri origin, CdnLinks cdn)
    {
        var (url, proxyUrl) = cdn.For(origin, attachment);
        return new AttachmentObject(attachment.Id.ToString(), attachment.Filename, attachment.Size, url, proxyUrl,
            attachment.ContentType, attachment.Width, attachment.Height);
    }

    public static Uri OriginOf(HttpRequest request) => new($"{request.Scheme}://{request.Host}");
}
