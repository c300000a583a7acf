using System.Text.Json.Nodes;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Webhooks;
using FaceSwap.Local;
using Microsoft.OpenApi;

namespace FaceSwap.Server.OpenApi;

/// <summary>
/// The shapes the API writes, as OpenAPI schemas. Bodies are built by hand (<see cref="Wire.JobView"/>,
/// the Apis' renderers), so their schemas are written here, field for field in the order the server writes them.
/// </summary>
public static class WireSchemas
{
    public const string Job = "Job";
    public const string InputFile = "InputFile";
    public const string Attachment = "Attachment";
    public const string Embed = "Embed";
    /// <summary>The error shape, named after the type that writes it (<see cref="Wire.ApiError"/>).</summary>
    public const string ApiError = "ApiError";
    public const string BusyError = "BusyError";
    public const string Account = "Account";
    public const string Accounts = "Accounts";
    public const string AccountRequest = "AccountRequest";
    public const string CancelledJob = "CancelledJob";
    public const string JobIds = "JobIds";
    public const string WebhookSettings = "WebhookSettings";
    public const string WebhookSettingsRequest = "WebhookSettingsRequest";
    public const string Delivery = "Delivery";
    public const string Redelivery = "Redelivery";
    public const string Health = "Health";
    /// <summary>The page of <c>GET /jobs/list</c>, generated from <see cref="Apis.DashboardApi.JobPage"/>.</summary>
    public const string JobPage = "JobPage";

    public static readonly string[] Statuses = System.Enum.GetValues<JobStatus>().Select(s => s.ToWire()).ToArray();

    public static readonly string[] Verbs = System.Enum.GetValues<Verb>().Select(v => v.ToWire()).ToArray();

    public static void AddTo(OpenApiDocument document)
    {
        var schemas = document.Components!.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        schemas[InputFile] = Object("An uploaded input as the job echoes it.",
            ("size", Integer("Bytes.")),
            ("type", Text("The media type its bytes were recognised as (image/png, image/jpeg, image/webp, image/gif, video/mp4, …).")));
        schemas[Attachment] = Object("A result file. Links point at this server and stay valid for the job's whole life.",
            ("url", Text("The file, hosted by this server (no token needed: the id is unguessable).", format: "uri")),
            ("proxy_url", Text("The same file; add ?width=&height= (1–4096) for a thumbnail that fits the box.", format: "uri")),
            ("width", Integer("Pixels, for images.")),
            ("height", Integer("Pixels, for images.")),
            ("content_type", Text("image/png, image/jpeg, image/webp, image/gif or a video type.")),
            ("id", Text("The attachment's id.")),
            ("filename", Text("The file's name.")),
            ("size", Integer("Bytes.")));
        var embedImage = Object("An image of the embed.",
            ("url", Text("Image URL.")), ("proxy_url", Text("Image proxy URL.")), ("width", Integer("Pixels.")), ("height", Integer("Pixels.")));
        var embed = Object("Additional information the bot attached to its message, as Discord gives it.",
            ("type", Text("Embed type.")), ("description", Text("Embed text.")), ("image", embedImage));
        embed.AdditionalPropertiesAllowed = true;
        schemas[Embed] = embed;
        schemas[Job] = JobSchema(document);
        schemas[ApiError] = DescribeError(new OpenApiSchema());
        schemas[BusyError] = Object("429: the channel already runs a blocking command.",
            ("error", Text("What went wrong.")),
            ("code", Integer("429.")),
            ("executingJobs", Array(Text("A jobid."), "The jobs the channel is busy with.")));
        ((OpenApiSchema)schemas[BusyError]).Required = new HashSet<string> { "error", "code", "executingJobs" };
        var credits = Object("The bot's credits as last seen on this channel.",
            ("timestamp", Text("When they were read (2024-02-01T02:05:24.991000+00:00).")),
            ("total", Integer("Credits of the period.")),
            ("used", Integer("Credits used.")));
        schemas[Account] = Object("A channel: where commands run (a Discord channel with the bot, or the built-in local engine).",
            ("server", Text("The Discord server id (discord channels).")),
            ("channel", Text("The channel: a Discord channel id, or a local channel's name.")),
            ("discord", Text("The Discord token, masked: its first and last 3 characters (ABC…secured…xyz).")),
            ("engine", Enum("The engine that runs its commands.", "discord", "local")),
            ("credits", credits),
            ("health", Enum("Whether the channel can run commands now.", "ok", "token_invalid", "locked", "forbidden", "credits_exhausted")),
            ("healthDetail", Text("Why it is not ok.")),
            ("capabilities", LocalCapabilities()));
        schemas[Accounts] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "Your channels, keyed by channel.",
            AdditionalProperties = new OpenApiSchemaReference(Account, document),
        };
        schemas[AccountRequest] = Object("A Discord channel (discord, server, channel), a local-engine channel ({\"engine\": \"local\"}), "
                + "or a channel of the built-in sandbox ({\"sandbox\": true}).",
            ("discord", Text("Your Discord user token (stored encrypted; never shown whole again).", maxLength: FieldLimit("discord"))),
            ("server", Text("The Discord server id (a snowflake, 17–20 digits).", maxLength: FieldLimit("server"))),
            ("channel", Text("The Discord channel id; must equal the channel in the path.", maxLength: FieldLimit("channel"))),
            ("engine", Enum("discord (the default) or local (no Discord needed).", "discord", "local")),
            ("sandbox", new OpenApiSchema { Type = JsonSchemaType.Boolean, Description = "true: a channel of the sandbox (the Discord emulator), when the server runs it." }));
        schemas[CancelledJob] = Object("The job was cancelled.",
            ("jobid", Text("The job.")), ("status", Enum("Always cancelled.", "cancelled")), ("code", Integer("200.")));
        schemas[JobIds] = Array(Text("A jobid."), "Your executing jobs (created, started or progress), as jobids.");
        schemas[WebhookSettings] = Object("Your default replyUrl, the callbacks you opted in to, and the signing secret.",
            ("replyUrl", Text("The default replyUrl of your jobs (absent: none).", format: "uri")),
            ("events", Array(Enum("An opt-in callback.", [.. ReplyEventNames.ByName.Keys]), "Callbacks besides the final one (which always comes).")),
            ("secret", Text("The Standard Webhooks signing secret (whsec_…).")),
            ("previousSecret", Text("The secret before the last rotation; it signs too until previousSecretExpires.")),
            ("previousSecretExpires", Text("When the previous secret stops signing.", format: "date-time")),
            ("signature", Text("How deliveries are signed.")));
        schemas[WebhookSettingsRequest] = Object("Set (or clear, with null) the default replyUrl, and opt in to more callbacks.",
            ("replyUrl", new OpenApiSchema
            {
                Type = JsonSchemaType.String | JsonSchemaType.Null, Format = "uri", MaxLength = FieldLimit("replyUrl"),
                Description = "A public http(s) URL, or null to clear it.",
            }),
            ("events", Array(Enum("An opt-in callback.", [.. ReplyEventNames.ByName.Keys]), "Absent or []: only the final call.")));
        ((OpenApiSchema)schemas[WebhookSettingsRequest]).Required = new HashSet<string> { "replyUrl" };
        var attempt = Object("One attempt to deliver.",
            ("at", Text("When.", format: "date-time")),
            ("httpStatus", Integer("The receiver's HTTP status.")),
            ("error", Text("Why the attempt failed before a status came back.")),
            ("durationMs", Integer("How long it took.")));
        schemas[Delivery] = Object("One replyUrl notification and its attempts.",
            ("webhookId", Text("The webhook-id header, the same on every retry.")),
            ("url", Text("The receiver.", format: "uri")),
            ("event", Enum("The job's status it reports.", Statuses)),
            ("state", Enum("pending: more attempts will follow; delivered: 2xx; failed: the retry schedule ran out; stopped: the receiver answered 410.",
                [.. System.Enum.GetValues<DeliveryState>().Select(s => s.ToString().ToLowerInvariant())])),
            ("created", Text("When it was queued.", format: "date-time")),
            ("attempts", Array(attempt, "Each attempt, oldest first.")),
            ("nextAttempt", Text("When the next attempt is due (pending only).", format: "date-time")));
        schemas[Redelivery] = Object("The job is queued for delivery again.",
            ("webhookId", Text("The new delivery's webhook-id.")),
            ("jobid", Text("The job.")),
            ("status", Enum("The job's status it reports.", Statuses)),
            ("code", Integer("202.")));
        schemas[Health] = Object("The process is up.", ("status", Enum("Always ok.", "ok")));
        // The page's jobs are written by the job renderer, so the framework saw only JSON objects: they are the Job schema.
        if (!schemas.TryGetValue(JobPage, out var generated) || generated is not OpenApiSchema { Properties: { } page } || !page.TryGetValue("jobs", out var jobs))
            throw new InvalidOperationException($"The generated document has no {JobPage} schema with jobs");
        page["jobs"] = Array(new OpenApiSchemaReference(Job, document), jobs.Description ?? "The jobs.");
    }

    /// <summary>What the local engine says about itself on its channels (<see cref="FaceSwap.Local.LocalCapabilities"/>, as JSON).</summary>
    private static OpenApiSchema LocalCapabilities()
    {
        var model = Object("A model file the engine looked at.",
            ("path", Text("The file's name (users see names, never the server's folders).")),
            ("role", Text("What it would be: detector, landmarks, embedding, swapper.")),
            ("accepted", new OpenApiSchema { Type = JsonSchemaType.Boolean, Description = "Whether it is used." }),
            ("detail", Text("What its signature showed, or why it was refused.")));
        var capabilities = Object("What the engine says about itself: for the local engine, which tier runs and why.",
            ("tier", Enum("The local engine's tier.", FaceModels.TierInsightFace, FaceModels.TierClassical, FaceModels.TierNone)),
            ("reason", Text("Why this tier, and what the better one needs.")),
            ("detector", Text("The face detector in use.")),
            ("landmarks68", new OpenApiSchema { Type = JsonSchemaType.Boolean, Description = "Whether dlib's 68-point landmarks are available." }),
            ("cuda", new OpenApiSchema { Type = JsonSchemaType.Boolean, Description = "Whether ONNX Runtime runs on CUDA." }),
            ("gifTargets", new OpenApiSchema { Type = JsonSchemaType.Boolean, Description = "Whether picsi takes GIF targets here." }),
            ("models", Array(model, "Every model file looked at.")),
            ("licenceNotes", Array(Text("A note."), "The licences of the models in use.")));
        capabilities.AdditionalPropertiesAllowed = true;
        return capabilities;
    }

    /// <summary>
    /// The error shape, written into <paramref name="schema"/>: also what the framework generates for <see cref="Wire.ApiError"/>
    /// where an endpoint declares it, so every error answer has the one description.
    /// </summary>
    public static OpenApiSchema DescribeError(OpenApiSchema schema)
    {
        var shape = Object("Every error: a message, optional details saying what to change, and the HTTP status again.",
            ("error", Text("What went wrong.")),
            ("errorDetails", Text("Why, or what to do about it (absent when there is nothing to add).")),
            ("code", Integer("The HTTP status code.")));
        schema.Type = shape.Type;
        schema.Description = shape.Description;
        schema.Properties = shape.Properties;
        schema.Required = new HashSet<string> { "error", "code" };
        return schema;
    }

    private static OpenApiSchema JobSchema(OpenApiDocument document)
    {
        var file = new OpenApiSchemaReference(InputFile, document);
        return Object("A job: the seed page's model. Fields without a value are omitted; the order is the order the server writes.",
            ("jobid", Text("The job's id (32 hex digits).")),
            ("parentJobId", Text("The job this one continues, when there is one.")),
            ("verb", Enum("The command.", Verbs)),
            ("status", Enum("created → started → progress* → completed | failed | moderated | cancelled; terminal states never change.", Statuses)),
            ("created", Text("YYYY-MM-DDTHH:mm:ss.sssZ, ISO 8601, UTC.", format: "date-time")),
            ("updated", Text("YYYY-MM-DDTHH:mm:ss.sssZ, ISO 8601, UTC.", format: "date-time")),
            ("prompt", Text("headshot's prompt.")),
            ("a_background_photo_of", Text("changebg's background prompt.")),
            ("options", Text("picsi, changebg and headshot options (-f, -m, --square, …).")),
            ("image", file),
            ("source_image", file),
            ("target_image_gif_or_video", file),
            ("idname", Text("The saved id(s) of saveid, setid, delid and swapid.")),
            ("saveid_idname", Text("swap's source id.")),
            ("saveid_image", file),
            ("swapid_idname", Text("swap's target id.")),
            ("swapid_image", file),
            ("targetMessageId", Text("inswapper's message.")),
            ("discord", Text("The channel's Discord token, masked: first and last 3 characters (for debugging).")),
            ("server", Text("The Discord server id.")),
            ("channel", Text("The channel the job ran on.")),
            ("messageId", Text("The bot's message (or the local engine's equivalent).")),
            ("content", Text("The bot's message text: the parameters and progress of the job.")),
            ("timestamp", Text("When that message was written (2023-09-09T02:05:24.991000+00:00).")),
            ("attachments", Array(new OpenApiSchemaReference(Attachment, document), "The results, once completed.")),
            ("embeds", Array(new OpenApiSchemaReference(Embed, document), "Additional information from the bot.")),
            ("error", Text("Why the job failed (failed or moderated).")),
            ("errorDetails", Text("More about the error.")),
            ("replyUrl", Text("Where the job is delivered when it ends.", format: "uri")),
            ("replyRef", Text("Your reference, echoed.")),
            ("code", new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "Always 200.", Enum = [JsonValue.Create(200)] }));
    }

    /// <summary>The longest value a text field may have (docs/api-limits.md).</summary>
    public static int FieldLimit(string field) => Core.Intake.FieldLimits.For(field);

    public static OpenApiSchema Text(string description, int? maxLength = null, string? format = null) =>
        new() { Type = JsonSchemaType.String, Description = description, MaxLength = maxLength, Format = format };

    public static OpenApiSchema Integer(string description) => new() { Type = JsonSchemaType.Integer, Description = description };

    public static OpenApiSchema Enum(string description, params string[] values) =>
        new() { Type = JsonSchemaType.String, Description = description, Enum = values.Select(v => (JsonNode)JsonValue.Create(v)).ToList() };

    public static OpenApiSchema Array(IOpenApiSchema items, string description) =>
        new() { Type = JsonSchemaType.Array, Items = items, Description = description };

    public static OpenApiSchema FreeObject(string description) =>
        new() { Type = JsonSchemaType.Object, Description = description, AdditionalPropertiesAllowed = true };

    public static OpenApiSchema Object(string description, params (string Name, IOpenApiSchema Schema)[] properties) => new()
    {
        Type = JsonSchemaType.Object,
        Description = description,
        Properties = properties.ToDictionary(p => p.Name, p => p.Schema),
    };

    public static OpenApiSchemaReference Ref(string name, OpenApiDocument document) => new(name, document);
}
