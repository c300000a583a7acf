using System.Text.Json.Nodes;

namespace FaceSwap.Discord.Protocol;

/// <summary>Builds the body of <c>POST /interactions</c> as the Discord web client sends it.</summary>
public static class InteractionPayload
{
    /// <summary>Interaction type 2: APPLICATION_COMMAND.</summary>
    private const int ApplicationCommand = 2;
    private const int StringOption = 3;
    private const int AttachmentOption = 11;

    public static JsonObject Build(
        ApplicationCommand command,
        CommandStep step,
        IReadOnlyList<UploadedAttachment> uploads,
        string guildId,
        string channelId,
        string sessionId,
        string nonce)
    {
        var data = new JsonObject
        {
            ["version"] = command.Version,
            ["id"] = command.Id,
            ["name"] = command.Name,
            ["type"] = command.Type,
        };

        if (step.IsMessageCommand)
        {
            data["target_id"] = step.TargetMessageId;
        }
        else
        {
            var options = new JsonArray();
            var attachmentIndex = 0;
            foreach (var option in step.Options)
            {
                options.Add(option.IsAttachment
                    ? new JsonObject { ["type"] = AttachmentOption, ["name"] = option.Name, ["value"] = attachmentIndex++ }
                    : new JsonObject { ["type"] = StringOption, ["name"] = option.Name, ["value"] = option.Value ?? "" });
            }
            data["options"] = options;
            var attachments = new JsonArray();
            for (var i = 0; i < uploads.Count; i++)
            {
                attachments.Add(new JsonObject
                {
                    ["id"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["filename"] = uploads[i].Filename,
                    ["uploaded_filename"] = uploads[i].UploadedFilename,
                });
            }
            data["attachments"] = attachments;
        }

        return new JsonObject
        {
            ["type"] = ApplicationCommand,
            ["application_id"] = command.ApplicationId,
            ["guild_id"] = guildId,
            ["channel_id"] = channelId,
            ["session_id"] = sessionId,
            ["nonce"] = nonce,
            ["data"] = data,
        };
    }
}
