using System.Text.Json;
using FaceSwap.Sandbox.Bot;
using FaceSwap.Sandbox.Discord;

namespace FaceSwap.Sandbox.Http;

/// <summary>The emulated slice of Discord's HTTP API v10 (docs/discord-wire.md).</summary>
public static class DiscordApi
{
    public static IEndpointRouteBuilder MapDiscordApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v10");
        api.MapGet("/users/@me", GetCurrentUser).WithMetadata(new DiscordRoute(SandboxRoutes.GetCurrentUser));
        api.MapGet("/guilds/{guild_id}/application-command-index", GetCommandIndex)
            .WithMetadata(new DiscordRoute(SandboxRoutes.GetCommandIndex, "guild_id"));
        api.MapPost("/channels/{channel_id}/attachments", CreateAttachments)
            .WithMetadata(new DiscordRoute(SandboxRoutes.CreateAttachments, "channel_id"));
        api.MapPost("/interactions", CreateInteraction).WithMetadata(new DiscordRoute(SandboxRoutes.CreateInteraction));
        api.MapGet("/channels/{channel_id}/messages", GetMessages).WithMetadata(new DiscordRoute(SandboxRoutes.GetMessages, "channel_id"));
        api.MapGet("/channels/{channel_id}/messages/{message_id}", GetMessage).WithMetadata(new DiscordRoute(SandboxRoutes.GetMessage, "channel_id"));
        api.MapPost("/channels/{channel_id}/messages", CreateMessage).WithMetadata(new DiscordRoute(SandboxRoutes.CreateMessage, "channel_id"));
        return app;
    }

    private static IResult GetCurrentUser(HttpContext context)
    {
        var account = DiscordGate.AccountOf(context);
        return Ok(new UserObject(account.UserId, account.Username, account.Username));
    }

    private static IResult GetCommandIndex(string guild_id, HttpContext context, SandboxState state)
    {
        if (!DiscordGate.AccountOf(context).Guilds.ContainsKey(guild_id)) return DiscordErrors.MissingAccess();
        var commands = state.Commands;
        return Ok(new
        {
            applications = new[] { new { id = commands.ApplicationId, name = state.BotUser.Username, description = "", icon = (string?)null, bot_id = commands.ApplicationId } },
            application_commands = commands.Commands.Select(c => new
            {
                id = c.Id,
                type = c.Type,
                application_id = commands.ApplicationId,
                version = c.Version,
                name = c.Name,
                description = c.Description,
                options = c.Options.Select(o => new { type = o.Type, name = o.Name, description = o.Description, required = o.Required }),
                integration_types = new[] { 0 },
                contexts = new[] { 0 },
            }),
            version = commands.Commands.Max(c => ulong.Parse(c.Version)).ToString(),
        });
    }

    private static async Task<IResult> CreateAttachments(string channel_id, HttpContext context, SandboxState state, SandboxOptions options)
    {
        var account = DiscordGate.AccountOf(context);
        if (Access(state, account, channel_id) is { } denied) return denied;
        var (payload, _) = await PayloadReader.ReadAsync(context.Request);
        using (payload)
        {
            if (payload is null || !payload.RootElement.TryGetProperty("files", out var files) || files.ValueKind != JsonValueKind.Array
                || files.GetArrayLength() is 0 or > 10)
                return DiscordErrors.InvalidFormBody("files", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 10 in length.");

            var reserved = new List<object>();
            int index = 0;
            foreach (var file in files.EnumerateArray())
            {
                string path = $"files.{index++}";
                string? filename = file.TryGetProperty("filename", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
                if (string.IsNullOrWhiteSpace(filename) || filename.Contains('/') || filename.Length > 1024)
                    return DiscordErrors.InvalidFormBody(path + ".filename", "BASE_TYPE_REQUIRED", "This field is required");
                if (!file.TryGetProperty("file_size", out var size) || !size.TryGetInt64(out long bytes) || bytes < 0)
                    return DiscordErrors.InvalidFormBody(path + ".file_size", "BASE_TYPE_REQUIRED", "This field is required");
                if (bytes > options.MaxUploadBytes) return DiscordErrors.TooLarge();
                var upload = state.Uploads.Reserve(channel_id, account.UserId, filename);
                string uploadUrl = $"{MessageWire.OriginOf(context.Request)}_uploads/{upload.UploadToken}?upload_id={Guid.NewGuid():N}";
                reserved.Add(new { id = EchoId(file), upload_url = uploadUrl, upload_filename = upload.UploadFilename });
            }
            return Ok(new { attachments = reserved });
        }
    }

    /// <summary>
    /// The user-account route clients send commands with (not in Discord's docs): 204 and no body, the only answer
    /// open-source clients such as novicezk/midjourney-proxy count as success. The client learns no interaction id.
    /// </summary>
    private static async Task<IResult> CreateInteraction(HttpContext context, SandboxState state, EmulatedBot bot)
    {
        var outcome = await InteractionIntake.ReadAsync(context, state, DiscordGate.AccountOf(context));
        if (outcome.Error is not null) return outcome.Error;
        state.Receive(outcome.Accepted!);
        bot.Enqueue(outcome.Accepted!);
        return Results.NoContent();
    }

    /// <summary>
    /// developers/resources/message.mdx, "Get Channel Messages": newest to oldest; <c>around</c>, <c>before</c> and
    /// <c>after</c> are mutually exclusive ("only one may be passed at a time": more than one answers 400 here, the
    /// strict reading); <c>limit</c> 1–100, default 50.
    /// </summary>
    private static IResult GetMessages(string channel_id, HttpContext context, SandboxState state)
    {
        if (Access(state, DiscordGate.AccountOf(context), channel_id) is { } denied) return denied;
        var query = context.Request.Query;
        int limit = 50;
        if (query.TryGetValue("limit", out var limitText) && (!int.TryParse(limitText, out limit) || limit is < 1 or > 100))
            return DiscordErrors.InvalidFormBody("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 100.");
        ulong? after = null, before = null, around = null;
        foreach (var (name, set) in new (string, Action<ulong>)[] { ("after", v => after = v), ("before", v => before = v), ("around", v => around = v) })
        {
            if (!query.TryGetValue(name, out var text)) continue;
            if (!SnowflakeGenerator.TryParse(text, out ulong id))
                return DiscordErrors.InvalidFormBody(name, "NUMBER_TYPE_COERCE", $"Value \"{text}\" is not snowflake.");
            set(id);
        }
        if (new[] { after, before, around }.Count(v => v is not null) > 1)
            return DiscordErrors.InvalidFormBody("", "BASE_TYPE_BAD_ARGUMENTS", "around, before and after are mutually exclusive.");
        var channel = state.FindChannel(channel_id)!;
        var origin = MessageWire.OriginOf(context.Request);
        return Ok(channel.History.Page(after, before, around, limit).Select(m => MessageWire.ToWire(m, origin, state.Cdn, channel.History)));
    }

    /// <summary>developers/resources/message.mdx, "Get Channel Message": the message, or 404 10008 Unknown Message.</summary>
    private static IResult GetMessage(string channel_id, string message_id, HttpContext context, SandboxState state)
    {
        if (Access(state, DiscordGate.AccountOf(context), channel_id) is { } denied) return denied;
        var channel = state.FindChannel(channel_id)!;
        if (!SnowflakeGenerator.TryParse(message_id, out ulong id))
            return DiscordErrors.InvalidFormBody("message_id", "NUMBER_TYPE_COERCE", $"Value \"{message_id}\" is not snowflake.");
        if (channel.History.Find(id) is not { } message) return DiscordErrors.UnknownMessage();
        return Ok(MessageWire.ToWire(message, MessageWire.OriginOf(context.Request), state.Cdn, channel.History));
    }

    /// <summary>Beyond the engine's slice: lets a user (or a test) post an image that INSwapper can then target.</summary>
    private static async Task<IResult> CreateMessage(string channel_id, HttpContext context, SandboxState state)
    {
        var account = DiscordGate.AccountOf(context);
        if (Access(state, account, channel_id) is { } denied) return denied;
        var (payload, inlineFiles) = await PayloadReader.ReadAsync(context.Request);
        using (payload)
        {
            if (payload is null || payload.RootElement.ValueKind != JsonValueKind.Object)
                return DiscordErrors.InvalidFormBody("", "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType");
            var root = payload.RootElement;
            string content = root.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "";
            var files = new List<SandboxFile>();
            var uploads = new List<UploadStore.PendingUpload>();
            if (root.TryGetProperty("attachments", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                int index = 0;
                foreach (var item in list.EnumerateArray())
                {
                    string path = $"attachments.{index++}";
                    string? id = item.TryGetProperty("id", out var i) ? (i.ValueKind == JsonValueKind.String ? i.GetString() : i.GetRawText()) : null;
                    string? uploaded = item.TryGetProperty("uploaded_filename", out var u) ? u.GetString() : null;
                    if (uploaded is not null && state.Uploads.Peek(uploaded, channel_id, account.UserId) is { } upload)
                    {
                        uploads.Add(upload);
                        files.Add(new SandboxFile(upload.Filename, upload.Bytes!));
                    }
                    else if (id is not null && inlineFiles.TryGetValue(id, out var inline))
                        files.Add(new SandboxFile(inline.Filename, inline.Bytes));
                    else
                        return DiscordErrors.InvalidFormBody(path, "ATTACHMENT_NOT_FOUND", "Attachment data not found");
                }
            }
            if (content.Length == 0 && files.Count == 0)
                return Json(400, new ErrorObject("Cannot send an empty message", 50006));
            if (content.Length > 2000)
                return DiscordErrors.InvalidFormBody("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.");
            foreach (var upload in uploads) state.Uploads.Consume(upload);
            string? nonce = root.TryGetProperty("nonce", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
            var channel = state.FindChannel(channel_id)!;
            var message = state.Post(channel, account.AsAuthor, content, files);
            // The nonce comes back in this answer only (message.mdx, Create Message "nonce"), never in history.
            return Ok(MessageWire.ToWire(message, MessageWire.OriginOf(context.Request), state.Cdn, channel.History, nonce));
        }
    }

    private static IResult? Access(SandboxState state, SandboxAccount account, string channelId)
    {
        var channel = state.FindChannel(channelId);
        if (channel is null) return DiscordErrors.UnknownChannel();
        return account.Guilds.ContainsKey(channel.GuildId) ? null : DiscordErrors.MissingAccess();
    }

    /// <summary>Discord answers the attachment slot id as a number when the client sent one it can read as such.</summary>
    private static object? EchoId(JsonElement file)
    {
        if (!file.TryGetProperty("id", out var id)) return null;
        if (id.ValueKind == JsonValueKind.Number && id.TryGetInt64(out long number)) return number;
        if (id.ValueKind == JsonValueKind.String && long.TryParse(id.GetString(), out long parsed)) return parsed;
        return id.ValueKind == JsonValueKind.String ? id.GetString() : null;
    }

    private static IResult Ok(object body) => DiscordErrors.Json(200, body);
    private static IResult Json(int status, object body) => DiscordErrors.Json(status, body);
}
