using System.Text.Json;
using System.Text.Json.Nodes;
using FaceSwap.Core.Intake;
using FaceSwap.Core.Jobs;
using FaceSwap.Local;
using FaceSwap.Server.Apis;
using FaceSwap.Server.Wire;
using Microsoft.OpenApi;

namespace FaceSwap.Server.OpenApi;

/// <summary>
/// What the document states that depends on this server: its configured limits, and answers worked out by the code
/// that gives them (the replyUrl guard's refusal, the local engine's commands).
/// </summary>
public sealed record ServerFacts(long MaxFileBytes, TimeSpan BlockingWait, TimeSpan Retention, ApiError UnreachableReplyUrl, IReadOnlySet<Verb>? LocalVerbs);

/// <summary>
/// Every endpoint of the API and of the operator surface, as the document describes it (spec sections 2–5).
/// Error examples come from the factories the Apis answer with wherever there is one.
/// </summary>
public static class ApiOperations
{
    public const string Base = "/v1/faceswap";

    /// <summary>The seed page: <c>GET /jobs/?jobid=</c>, routed by the same endpoint as <c>GET /jobs</c> (the slash decides).</summary>
    public const string SeedPath = Base + "/jobs/";

    public static IReadOnlyList<OperationDoc> All(ServerFacts facts) =>
    [
        .. Operator(),
        .. Accounts(),
        .. CommandSpec.All.Select(spec => CommandDocs.Describe(spec, facts)),
        .. Jobs(facts),
        .. Webhooks(facts),
        Files(),
    ];

    public static readonly (string Name, string About)[] Tags =
    [
        ("Accounts", "Your channels: where commands run (spec section 2)."),
        ("Commands", "The eleven commands; each creates a job (spec section 3)."),
        ("Jobs", "Reading, waiting for, listing and cancelling jobs (spec section 4; GET /jobs/?jobid= is the seed page)."),
        ("Webhooks", "replyUrl settings, signing secrets, and each job's deliveries (our extension)."),
        ("Files", "Result files hosted by this server."),
        ("Operator", "Liveness and metrics."),
    ];

    private const string JobId = JobExamples.JobId;

    private static OperationDoc JobQuery(this OperationDoc doc) =>
        doc.Query("jobid", "The job's id, as a command returned it.", required: true);

    /// <summary>The answers of every endpoint that finds the caller's job by <c>?jobid=</c>.</summary>
    private static OperationDoc JobLookupFailures(this OperationDoc doc, params ApiError[] more) => doc
        .Fails(400, "No jobid.", [Errors.Of(ApiError.NoJobId()), .. more])
        .Fails(404, "No such job of yours (someone else's job is 404 too, never 403).", Errors.Of(ApiError.JobNotFound(JobId)))
        .Fails(410, "The job is past retention; its files are deleted.", Errors.Of(ApiError.JobExpired()));

    private static IEnumerable<OperationDoc> Operator() =>
    [
        new OperationDoc("health", "GET", "/healthz", "Operator", "Liveness", "200 while the process serves requests.")
            .Public()
            .Answers(200, "Up.", WireSchemas.Health, ("ok", new JsonObject { ["status"] = "ok" })),
        new OperationDoc("metrics", "GET", "/metrics", "Operator", "Prometheus metrics",
                "HTTP metrics and `faceswap_job_transitions_total` by verb and status, in the Prometheus text format.")
            .Public()
            .Answers(200, "The metrics.", "text/plain", WireSchemas.Text("Prometheus text exposition format."),
                JsonValue.Create("# TYPE faceswap_job_transitions_total counter\nfaceswap_job_transitions_total{verb=\"faceswap-swapid\",status=\"completed\"} 12\n")),
    ];

    private static IEnumerable<OperationDoc> Accounts()
    {
        var example = new JsonObject
        {
            ["server"] = "1100000000000000000",
            ["channel"] = JobExamples.Channel,
            ["discord"] = "MTA…secured…8Xo",
            ["engine"] = "discord",
            ["credits"] = new JsonObject { ["timestamp"] = "2024-02-01T02:05:24.991000+00:00", ["total"] = 50, ["used"] = 18 },
            ["health"] = "ok",
        };
        // Written as the local engine's describer writes it, folders cut as users see them.
        var capabilities = ServerPaths.Redact(JsonSerializer.SerializeToNode(new LocalCapabilities(FaceModels.TierClassical,
            "dlib 68-point landmarks with the BlazeFace detector; the InsightFace tier needs w600k_r50.onnx and inswapper_128.onnx in FaceSwap:Local:ModelsDir",
            "BlazeFace", Landmarks68: true, Cuda: false, GifTargets: true,
            [new ModelFileReport("/srv/faceswap/data/models/face_detection_front_128x128_barracuda.onnx", "detector", true, "BlazeFace front-camera detector")],
            []), new JsonSerializerOptions(JsonSerializerDefaults.Web)));
        var local = new JsonObject { ["channel"] = "local", ["engine"] = "local", ["health"] = "ok", ["capabilities"] = capabilities };
        const string c = JobExamples.Channel;
        return
        [
            new OperationDoc("listAccounts", "GET", Base + "/account", "Accounts", "List your channels", "Every channel of yours, keyed by channel.")
                .Answers(200, "Your channels.", WireSchemas.Accounts, ("channels", new JsonObject { [c] = example.DeepClone(), ["local"] = local }))
                .Fails(404, "You have no channel.", Errors.Of(ApiError.NoConfiguration())),
            new OperationDoc("getAccount", "GET", Base + "/account/{channel}", "Accounts", "Get one channel",
                    "One channel; a local channel's `capabilities` say which tier of the local engine runs and why.")
                .Route("channel", "The channel.", FieldLimits.For("channel"))
                .Answers(200, "The channel.", WireSchemas.Account, ("discord", example.DeepClone()), ("local", local.DeepClone()))
                .Fails(404, "No such channel of yours.", Errors.Of(ApiError.NoConfiguration())),
            new OperationDoc("saveAccount", "POST", Base + "/account/{channel}", "Accounts", "Create or update a channel",
                    "A Discord channel: `{discord, server, channel}`, all required, `channel` equal to the path's. "
                    + "Our extensions: `{\"engine\": \"local\"}` registers a channel of the built-in local engine (letters, digits, '-' and '_'); "
                    + "`{\"sandbox\": true}` a channel of the in-process Discord emulator, when the server runs it.")
                .Route("channel", "The channel: a Discord channel id (17–20 digits) or a local channel's name.", FieldLimits.For("channel"))
                .JsonBody(WireSchemas.AccountRequest, "The channel's settings.",
                    new JsonObject { ["discord"] = "<Discord token>", ["server"] = "1100000000000000000", ["channel"] = c })
                .Answers(204, "Saved.")
                .Fails(400, "A field is missing or not valid.",
                    Errors.Of(ApiError.MissingParam("discord")),
                    Errors.Of(ApiError.MissingParam("server")),
                    Errors.Of(ApiError.MissingParam("channel")),
                    Errors.Say(400, "Required param channel (12345) is not valid Discord channel id"),
                    Errors.Say(400, $"Required param channel (1100000000000000002) not matching to /faceswap/account/{c}"),
                    Errors.Say(400, "Required param server (abc) is not valid Discord server id"),
                    Errors.Say(400, "Channel 1100000000000000002 configuration has same discord value"),
                    Errors.Say(400, "Channel 1100000000000000002 configuration has same server value"),
                    Errors.Say(400, "Required param channel (my channel) is not valid local channel name", "Use letters, digits, '-' and '_', at most 64 characters."),
                    Errors.Say(400, "Param engine (gpu) is not valid", "Use \"discord\" (the default) or \"local\"."),
                    Errors.Say(400, "Param sandbox must be true or false"),
                    Errors.Say(400, "The sandbox is not enabled on this server", "Set FaceSwap:Sandbox:Enabled=true to use sandbox channels."),
                    Errors.Say(400, $"Channel {c} is taken in the sandbox", "Choose another channel id."),
                    Errors.Of(Refusal.TooLong("discord", FieldLimits.For("discord"))),
                    Errors.Of(Refusal.NotText("server", numberToo: true)),
                    Errors.Say(400, "Malformed JSON body", "A property is named more than once; send each once."))
                .Fails(413, "The JSON body is too large.", Errors.Say(413, "Request is too large", $"A JSON body may have at most {FieldLimits.MaxJsonBytes} bytes.")),
            new OperationDoc("deleteAccount", "DELETE", Base + "/account/{channel}", "Accounts", "Delete a channel", "Removes the channel (its jobs stay readable).")
                .Route("channel", "The channel.", FieldLimits.For("channel"))
                .Answers(204, "Deleted.")
                .Fails(404, "No such channel of yours.", Errors.Of(ApiError.NoConfiguration())),
        ];
    }

    private static IEnumerable<OperationDoc> Jobs(ServerFacts facts)
    {
        var seed = JobExamples.Seed();
        var waitHeader = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^wait=[0-9]+$", Description = "wait=N, N seconds (at most 60)." };
        var snapshot = $"event: job\nid: 2023-09-09T02:04:56.102Z\ndata: {JobExamples.Answer(CommandSpec.All.Single(s => s.Route == "/headshot")).ToJsonString()}\n\n";
        return
        [
            new OperationDoc("getJob", "GET", SeedPath, "Jobs", "Retrieve a job's status and results",
                    "The seed page. If `status` is created, started or progress, ask again later, or send `Prefer: wait=N` to be answered as soon as "
                    + "the job ends (at most N ≤ 60 seconds), or read GET /jobs/stream. When completed, the results are in `attachments`. "
                    + $"This server keeps jobs {facts.Retention.TotalDays:0.#} days; after that they answer 410 and their files are deleted.")
                .JobQuery()
                .Header("Prefer", "`wait=N` (RFC 7240): hold the answer until the job is terminal or N seconds (at most 60) pass.", waitHeader, JsonValue.Create("wait=30"))
                .Answers(200, "The job.", WireSchemas.Job, ("seed", seed), ("failed", JobExamples.Failed()))
                .WithHeaders(200, ("Preference-Applied", "wait=N, when Prefer: wait was honoured."))
                .JobLookupFailures(),
            new OperationDoc("listJobs", "GET", Base + "/jobs", "Jobs", "List your executing jobs",
                    "The ids of your jobs that are created, started or progress. (Without the trailing slash; `GET /jobs/` without jobid is the seed page's 400.)")
                .Answers(200, "Executing jobids.", WireSchemas.JobIds, ("executing", new JsonArray(JobId, "c0ffee0123456789abcdef0123456789"))),
            new OperationDoc("cancelJob", "GET", Base + "/jobs/cancel", "Jobs", "Cancel a job",
                    "Cancels a job that is created, started or progress (`/jobs/cancel/?jobid=` works too). A terminal job is not changed: 409.")
                .JobQuery()
                .Answers(200, "Cancelled.", WireSchemas.CancelledJob, ("cancelled", new JsonObject { ["jobid"] = JobId, ["status"] = "cancelled", ["code"] = 200 }))
                .JobLookupFailures()
                .Fails(409, "The job is terminal already; errorDetails is its status.",
                    Errors.Say(409, $"Job {JobId} is completed and can not be cancelled", "completed")),
            new OperationDoc("streamJob", "GET", Base + "/jobs/stream", "Jobs", "Stream a job's changes",
                    "A `text/event-stream`: an `event: job` with the job (the same JSON as GET /jobs/?jobid=) now and at each change, until it is terminal; "
                    + "comment lines keep an idle connection open. It also ends when the token stops being valid (checked at each keep-alive).")
                .JobQuery()
                .Answers(200, "Server-sent events, one per job snapshot.", "text/event-stream", WireSchemas.Text("Server-sent events."), JsonValue.Create(snapshot))
                .JobLookupFailures(),
            new OperationDoc("listDeliveries", "GET", Base + "/jobs/deliveries", "Webhooks", "A job's replyUrl deliveries",
                    "Each delivery of the job to its replyUrl, with every attempt: time, HTTP status or error, duration.")
                .JobQuery()
                .Answers(200, "The deliveries, oldest first.", document => WireSchemas.Array(WireSchemas.Ref(WireSchemas.Delivery, document), "Deliveries."),
                    ("delivered", new JsonArray(new JsonObject
                    {
                        ["webhookId"] = "msg_2YwQ7Jm3nB5kP8rT1vX4zC6d", ["url"] = "https://example.com/hook", ["event"] = "completed", ["state"] = "delivered",
                        ["created"] = "2023-09-09T02:19:20.256Z",
                        ["attempts"] = new JsonArray(new JsonObject { ["at"] = "2023-09-09T02:19:20.301Z", ["httpStatus"] = 200, ["durationMs"] = 84 }),
                    })))
                .JobLookupFailures(),
            new OperationDoc("redeliverJob", "POST", Base + "/jobs/redeliver", "Webhooks", "Deliver a job again", "Queues the job, as it is now, for its replyUrl.")
                .JobQuery()
                .Answers(202, "Queued.", WireSchemas.Redelivery,
                    ("queued", new JsonObject { ["webhookId"] = "msg_2YwQ7Jm3nB5kP8rT1vX4zC6d", ["jobid"] = JobId, ["status"] = "completed", ["code"] = 202 }))
                .JobLookupFailures(Errors.Say(400, $"Job {JobId} has no replyUrl", "Submit jobs with replyUrl, or set a default with POST /webhook.")),
        ];
    }

    private static IEnumerable<OperationDoc> Webhooks(ServerFacts facts)
    {
        var settings = new JsonObject
        {
            ["replyUrl"] = "https://example.com/hook",
            ["events"] = new JsonArray("started"),
            ["secret"] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            ["signature"] = "Standard Webhooks v1: headers webhook-id, webhook-timestamp, webhook-signature (v1,<base64 HMAC-SHA256 of id.timestamp.body>)",
        };
        OperationDoc Save(string id, string path, string summary, string about) => new OperationDoc(id, "POST", path, "Webhooks", summary, about)
            .JsonBody(WireSchemas.WebhookSettingsRequest, "The default replyUrl and the opt-in callbacks.",
                new JsonObject { ["replyUrl"] = "https://example.com/hook", ["events"] = new JsonArray("started", "progress") })
            .Answers(204, "Saved.")
            .Fails(400, "The body or the replyUrl is not valid, or the replyUrl can not receive callbacks.",
                Errors.Say(400, "Malformed JSON body", "Send a JSON object such as {\"replyUrl\": \"https://…\"}."),
                Errors.Of(ApiError.MissingParam("replyUrl")),
                Errors.Say(400, "Param replyUrl (example.com/hook) is not a valid http(s) URL"),
                facts.UnreachableReplyUrl,
                Errors.Say(400, "Param events must be a list of event names",
                    "Use [], [\"started\"], [\"progress\"] or [\"started\", \"progress\"]; the final call (completed, failed, moderated, cancelled) always comes."),
                Errors.Of(Refusal.TooLong("replyUrl", FieldLimits.For("replyUrl"))),
                Errors.Of(Refusal.NotText("replyUrl")))
            .Fails(413, "The JSON body is too large.", Errors.Say(413, "Request is too large", $"A JSON body may have at most {FieldLimits.MaxJsonBytes} bytes."));
        return
        [
            new OperationDoc("getWebhookSettings", "GET", Base + "/webhook", "Webhooks", "Your replyUrl settings and signing secret",
                    "Deliveries are signed per Standard Webhooks: `webhook-id`, `webhook-timestamp`, "
                    + "`webhook-signature: v1,<base64 HMAC-SHA256 of \"id.timestamp.body\">` with this secret.")
                .Answers(200, "The settings.", WireSchemas.WebhookSettings, ("settings", settings)),
            Save("saveWebhookSettings", Base + "/webhook", "Set the default replyUrl",
                "The replyUrl of jobs submitted without one (`null` clears it). The final call (completed, failed, moderated, cancelled) always comes; "
                + "`events` opts in to calls when an async job starts and at each progress message. A POST without `events` opts out."),
            Save("saveAccountReplyUrl", Base + "/account", "Set the default replyUrl (the commercial family's spelling)", "The same as POST /webhook."),
            new OperationDoc("rotateWebhookSecret", "POST", Base + "/webhook/rotate", "Webhooks", "Rotate the signing secret",
                    "A new secret signs from now on; the previous one signs too for 24 hours, so receivers can switch without losing a delivery.")
                .Answers(200, "The settings, with the new secret and the previous one.", WireSchemas.WebhookSettings, ("rotated", settings)),
        ];
    }

    private static OperationDoc Files() =>
        new OperationDoc("getFile", "GET", Base + "/files/{attachmentId}/{fileName}", "Files", "A result file",
                "A job's result, as linked by `attachments[].url`. No token: the unguessable attachment id is the capability, so the link works in an <img> tag. "
                + "Valid for the job's whole life.")
            .Public()
            .Route("attachmentId", "The attachment's id.")
            .Route("fileName", "The file's name.")
            .Query("width", "Thumbnail: fit within this width (1–4096), keeping the aspect ratio; never scaled up.",
                schema: new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1", Maximum = "4096" })
            .Query("height", "Thumbnail: fit within this height (1–4096).", schema: new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1", Maximum = "4096" })
            .AnswersFile(200, "The file, with its own Content-Type; immutable, cacheable for a year.", "image/png", "image/jpeg", "image/webp", "image/gif", "video/mp4", "video/quicktime", "video/webm")
            .Fails(404, "No such file.", Errors.Say(404, "Unable to locate file q3kz7m2x9c4v8b1n5t6y0w"))
            .Fails(410, "The job is past retention; its files are deleted.", Errors.Say(410, "File has expired"));
}
