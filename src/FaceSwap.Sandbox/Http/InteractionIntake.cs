using System.Text.Json;
using FaceSwap.Sandbox.Bot;
using FaceSwap.Sandbox.Discord;

namespace FaceSwap.Sandbox.Http;

/// <summary>
/// Validates a <c>POST /interactions</c> body the way Discord does before it answers 204 and forwards the
/// interaction to the bot: the command id and version must match the current index, required options must be
/// there with the right types, and every attachment must name a finished upload (or a <c>files[n]</c> part).
/// </summary>
public sealed class InteractionIntake
{
    private readonly SandboxState _state;
    private readonly SandboxAccount _account;

    private InteractionIntake(SandboxState state, SandboxAccount account)
    {
        _state = state;
        _account = account;
    }

    public sealed record Outcome(AcceptedInteraction? Accepted, IResult? Error);

    public static async Task<Outcome> ReadAsync(HttpContext context, SandboxState state, SandboxAccount account)
    {
        var (payload, inlineFiles) = await PayloadReader.ReadAsync(context.Request);
        if (payload is null) return Fail(DiscordErrors.InvalidFormBody("", "BASE_TYPE_REQUIRED", "The request body must be a JSON object."));
        using (payload) return new InteractionIntake(state, account).Validate(payload.RootElement, inlineFiles);
    }

    private Outcome Validate(JsonElement root, IReadOnlyDictionary<string, InteractionFile> inlineFiles)
    {
        if (root.ValueKind != JsonValueKind.Object) return Fail(DiscordErrors.InvalidFormBody("", "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"));
        if (Int(root, "type") != 2) return Fail(DiscordErrors.InvalidFormBody("type", "BASE_TYPE_CHOICES", "Value must be one of {2, 3, 5}."));
        if (Str(root, "application_id") != _state.Commands.ApplicationId)
            return Fail(DiscordErrors.InvalidFormBody("application_id", "UNKNOWN_APPLICATION", "Unknown application"));
        if (string.IsNullOrEmpty(Str(root, "session_id"))) return Fail(Required("session_id"));
        string? nonce = Str(root, "nonce");
        if (nonce is not null && (nonce.Length > 25 || !SnowflakeGenerator.TryParse(nonce, out _)))
            return Fail(DiscordErrors.InvalidFormBody("nonce", "NONCE_TYPE_INVALID_SNOWFLAKE", "Nonce must be a snowflake."));

        string? channelId = Str(root, "channel_id");
        if (channelId is null) return Fail(Required("channel_id"));
        var channel = _state.FindChannel(channelId);
        if (channel is null) return Fail(DiscordErrors.UnknownChannel());
        if (!_account.Guilds.ContainsKey(channel.GuildId)) return Fail(DiscordErrors.MissingAccess());
        if (Str(root, "guild_id") != channel.GuildId)
            return Fail(DiscordErrors.InvalidFormBody("guild_id", "INTERACTION_GUILD_MISMATCH", "The channel does not belong to this guild."));

        if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object) return Fail(Required("data"));
        var command = Str(data, "id") is { } commandId ? _state.Commands.FindById(commandId) : null;
        if (command is null)
            return Fail(DiscordErrors.InvalidFormBody("data", "INTERACTION_APPLICATION_COMMAND_INVALID", "Unknown application command"));
        if (Str(data, "version") != command.Version || Str(data, "name") != command.Name || Int(data, "type") != command.Type)
            return Fail(DiscordErrors.InvalidFormBody("data", "INTERACTION_APPLICATION_COMMAND_INVALID_VERSION",
                "This command is outdated, please try again in a few minutes"));

        var attachments = ResolveAttachments(data, channel, inlineFiles, out var attachmentError);
        if (attachmentError is not null) return Fail(attachmentError);

        ChannelMessage? target = null;
        if (command.Type == CommandTypes.Message)
        {
            if (!SnowflakeGenerator.TryParse(Str(data, "target_id"), out ulong targetId)) return Fail(Required("data.target_id"));
            target = channel.History.Find(targetId);
            if (target is null) return Fail(DiscordErrors.UnknownMessage());
        }

        var strings = new Dictionary<string, string>();
        var files = new Dictionary<string, InteractionFile>();
        if (OptionsError(data, command, attachments, strings, files) is { } optionsError) return Fail(optionsError);

        foreach (var upload in attachments.Values.Select(a => a.Upload).OfType<UploadStore.PendingUpload>()) _state.Uploads.Consume(upload);
        return new Outcome(new AcceptedInteraction(_state.Ids.Next(), channel, _account, command, strings, files, target, _state.Clock.GetUtcNow()), null);
    }

    private sealed record ResolvedAttachment(InteractionFile File, UploadStore.PendingUpload? Upload);

    private Dictionary<string, ResolvedAttachment> ResolveAttachments(JsonElement data, SandboxChannel channel,
        IReadOnlyDictionary<string, InteractionFile> inlineFiles, out IResult? error)
    {
        error = null;
        var resolved = new Dictionary<string, ResolvedAttachment>();
        if (!data.TryGetProperty("attachments", out var list) || list.ValueKind != JsonValueKind.Array) return resolved;
        int index = 0;
        foreach (var item in list.EnumerateArray())
        {
            string path = $"data.attachments.{index++}";
            string? id = IdText(item, "id");
            if (id is null) { error = Required(path + ".id"); return resolved; }
            string? uploaded = Str(item, "uploaded_filename");
            if (uploaded is not null)
            {
                var upload = _state.Uploads.Peek(uploaded, channel.Id, _account.UserId);
                if (upload is null)
                {
                    error = DiscordErrors.InvalidFormBody(path + ".uploaded_filename", "ATTACHMENT_NOT_FOUND", "Attachment data not found");
                    return resolved;
                }
                resolved[id] = new(new InteractionFile(Str(item, "filename") ?? upload.Filename, upload.Bytes!), upload);
            }
            else if (inlineFiles.TryGetValue(id, out var inline))
            {
                resolved[id] = new(inline with { Filename = Str(item, "filename") ?? inline.Filename }, null);
            }
            else
            {
                error = DiscordErrors.InvalidFormBody(path, "ATTACHMENT_NOT_FOUND", "Attachment data not found");
                return resolved;
            }
        }
        return resolved;
    }

    private static IResult? OptionsError(JsonElement data, BotCommand command, Dictionary<string, ResolvedAttachment> attachments,
        Dictionary<string, string> strings, Dictionary<string, InteractionFile> files)
    {
        if (data.TryGetProperty("options", out var options) && options.ValueKind == JsonValueKind.Array)
        {
            int index = 0;
            foreach (var option in options.EnumerateArray())
            {
                string path = $"data.options.{index++}";
                string? name = Str(option, "name");
                var definition = command.Options.FirstOrDefault(o => o.Name == name);
                if (definition is null || Int(option, "type") != definition.Type || !option.TryGetProperty("value", out var value))
                    return DiscordErrors.InvalidFormBody(path, "APPLICATION_COMMAND_OPTION_INVALID", "Invalid application command option");
                if (definition.Type == OptionTypes.String)
                {
                    if (value.ValueKind != JsonValueKind.String || value.GetString()!.Length is 0 or > 6000)
                        return DiscordErrors.InvalidFormBody(path + ".value", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 6000 in length.");
                    strings[definition.Name] = value.GetString()!;
                }
                else
                {
                    string? reference = value.ValueKind switch
                    {
                        JsonValueKind.Number => value.GetRawText(),
                        JsonValueKind.String => value.GetString(),
                        _ => null,
                    };
                    if (reference is null || !attachments.TryGetValue(reference, out var attachment))
                        return DiscordErrors.InvalidFormBody(path + ".value", "APPLICATION_COMMAND_OPTION_INVALID_ATTACHMENT", "Attachment not found");
                    files[definition.Name] = attachment.File;
                }
            }
        }
        var missing = command.Options.FirstOrDefault(o => o.Required && !strings.ContainsKey(o.Name) && !files.ContainsKey(o.Name));
        return missing is null
            ? null
            : DiscordErrors.InvalidFormBody("data.options", "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", $"Option \"{missing.Name}\" is required");
    }

    private static IResult Required(string path) => DiscordErrors.InvalidFormBody(path, "BASE_TYPE_REQUIRED", "This field is required");

    private static Outcome Fail(IResult error) => new(null, error);

    private static string? Str(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>Attachment ids come as strings ("0") from the web client and as numbers from some libraries.</summary>
    private static string? IdText(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value)
            ? value.ValueKind switch { JsonValueKind.String => value.GetString(), JsonValueKind.Number => value.GetRawText(), _ => null }
            : null;

    private static int? Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number) ? number : null;
}
