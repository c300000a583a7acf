using System.Text.Json.Nodes;
using FaceSwap.Core.Accounts;
using FaceSwap.Core.Intake;
using FaceSwap.Core.Jobs;
using FaceSwap.Server.Apis;
using FaceSwap.Server.Wire;
using Microsoft.OpenApi;

namespace FaceSwap.Server.OpenApi;

/// <summary>
/// The eleven commands, described from <see cref="CommandSpec.All"/>: the same list the routes and the intake
/// are made from, so a field the intake requires is a required field of the documented form.
/// </summary>
public static class CommandDocs
{
    private static readonly Dictionary<Verb, (string Summary, string About)> Prose = new()
    {
        [Verb.ListId] = ("List saved ids", "The channel's saved ids, default ids and prefer options, as the bot's text in `content`."),
        [Verb.SaveId] = ("Save a face under an id", "Registers the face in `image` as `idname`; the new id becomes the channel's default. At most 20 ids per channel."),
        [Verb.SetId] = ("Set the default ids", "Sets the ids used by inswapper (and swapid with `_`): `a,b` for several faces in order, `_` to leave a face, "
            + "`a+b` to mix up to three, or a prefer option `--greedy`/`--nogreedy`."),
        [Verb.DelId] = ("Delete a saved id", "Deletes `idname` from the channel (a DELETE with a form body, as the commercial service takes it)."),
        [Verb.DelAll] = ("Delete all saved ids", "Deletes every saved id of the channel."),
        [Verb.SwapId] = ("Swap saved faces onto an image", "Swaps the face(s) saved as `idname` onto `image`; `--oldify N` (1–1000) may follow the ids. "
            + "The result is `attachments[0].url`."),
        [Verb.Swap] = ("Save and swap in one call", "Saves `saveid_image` as `saveid_idname` (default `id`) and swaps it onto `swapid_image`. "
            + "Deprecated by the commercial service in favour of picsi; still served."),
        [Verb.InSwapper] = ("Swap the default ids onto a message's image", "Runs the bot's INSwapper app command on the message `targetMessageId` "
            + "(a message with an image, in the same channel), with the channel's default ids."),
        [Verb.Picsi] = ("Swap a face onto an image, GIF or video", "Puts the face of `source_image` onto `target_image_gif_or_video`. Blocking for a still image; "
            + "a GIF or video target makes the job async: the answer is the job `started`, read the result later."),
        [Verb.ChangeBg] = ("Change an image's background", "Replaces the background of `image` with `a_background_photo_of`. Async: the answer is the job "
            + "with the bot's first reply (`… Job Submitted [jobid: …] [credits: …]`); read the result with GET /jobs/?jobid= or at replyUrl."),
        [Verb.Headshot] = ("Make a headshot from a prompt", "Generates a headshot from `prompt` (`me, an astronaut`: a saved id, then the scene). "
            + "Takes multipart/form-data or JSON. Async, like changebg."),
    };

    /// <summary>What each field is, for the form's documentation.</summary>
    private static readonly Dictionary<string, string> Fields = new()
    {
        ["idname"] = "A saved id: letters and digits, 1–10 characters.",
        ["saveid_idname"] = "The id to save the source face as (default `id`): letters and digits, 1–10 characters.",
        ["swapid_idname"] = "The id to swap onto the target (default `id`): letters and digits, 1–10 characters.",
        ["targetMessageId"] = "The message whose image is swapped: a Discord message id (17–20 digits) in the channel, or a local message id.",
        ["prompt"] = "The headshot's prompt: a saved id, then the scene (`me, a mad king … --no green --square`).",
        ["a_background_photo_of"] = "The new background, in words.",
        ["options"] = "The bot's options (picsi: `-f` Face Texturizer, `-m` Retain Mouth; headshot: `--square`, `--no …`).",
        ["channel"] = "The channel to run on (a Discord channel id or a local channel name).",
        ["replyUrl"] = "Where the job is POSTed when it ends (signed, Standard Webhooks); default: your POST /webhook setting. Must be a public http(s) URL.",
        ["replyRef"] = "Your reference, stored and echoed in the job.",
    };

    private static readonly Dictionary<string, string> Files = new()
    {
        ["image"] = "The image (PNG, JPEG or WebP).",
        ["source_image"] = "The face to use (PNG, JPEG or WebP).",
        ["target_image_gif_or_video"] = "The image (PNG, JPEG or WebP), GIF, or video (MP4, MOV, WebM) to put the face on.",
        ["saveid_image"] = "The source face (PNG, JPEG or WebP).",
        ["swapid_image"] = "The target image (PNG, JPEG or WebP).",
    };

    private static readonly string[] CommonFields = ["channel", "replyUrl", "replyRef"];

    public static OperationDoc Describe(CommandSpec spec, ServerFacts facts)
    {
        var maxFileBytes = facts.MaxFileBytes;
        var (summary, about) = Prose[spec.Verb];
        var blocking = !spec.Verb.IsAsync();
        var description = $"{about}\n\n"
            + (spec.Verb == Verb.Picsi ? "" : blocking
                ? $"**Blocking**: the answer is the finished job (or the job as it stands after {Duration(facts.BlockingWait)}; then read it with GET /jobs/?jobid=). "
                  + "A channel runs one blocking command at a time: another one meanwhile is a 429.\n\n"
                : "**Async**: the answer comes once the bot acknowledged the command, with the job `started` and the bot's first reply in `content`.\n\n")
            + (spec.ChannelRule == ChannelRule.SingleOrRequired
                ? "**channel**: optional when you have one channel, else required.\n\n"
                : "**channel**: optional; without it a channel of yours with credits left that can run the command is picked (load balancing).\n\n")
            + "`Prefer: respond-async` answers 202 with the job as soon as it is stored. `Idempotency-Key` makes a retry return the first request's job "
            + "instead of running the command again. Nothing is stored for a refused request.";
        var doc = new OperationDoc(spec.Route.TrimStart('/'), spec.Method, ApiOperations.Base + spec.Route, "Commands", $"{spec.Route.TrimStart('/')}: {summary}", description)
            .Header(IdempotencyKeys.Header, "Makes a retry safe: the same key and body return the first job (`Idempotent-Replayed: true`); "
                + "another body with the key is 422; a repeat while the first still runs is 409. 1–255 printable ASCII characters; kept 24 hours.",
                new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 255 }, JsonValue.Create("5f0c6a8e-2b1d-4c7e-9a3f-0d8b7e6c5a41"))
            .Header("Prefer", "`respond-async` (RFC 7240): answer 202 as soon as the job is stored, without waiting for it.",
                new OpenApiSchema { Type = JsonSchemaType.String }, JsonValue.Create("respond-async"))
            .Body(document => Form(spec, maxFileBytes))
            .Answers(200, blocking ? "The job, finished (or as it stands after the blocking wait)." : "The job, with the bot's first reply.",
                WireSchemas.Job, (spec.Verb.ToWire(), JobExamples.Answer(spec)))
            .WithHeaders(200, ("Idempotent-Replayed", "true when this is the stored answer to an earlier request with the same Idempotency-Key."))
            .Answers(202, "`Prefer: respond-async`: the job as stored (status created). Read it later with GET /jobs/?jobid= or receive it at replyUrl.",
                WireSchemas.Job, ("respond-async", JobExamples.Accepted(spec)))
            .WithHeaders(202, ("Preference-Applied", "respond-async"))
            .Fails(400, "A field is missing, too long or not valid; the channel can not be chosen; the replyUrl can not receive callbacks; the request can not be read.",
                [.. BadRequests(spec, facts)])
            .Fails(404, "The channel named is not yours, or you have no channel.",
                Errors.Of(Refusal.ChannelNotFound(JobExamples.Channel)), Errors.Of(Refusal.NoConfiguration()))
            .Fails(409, "Idempotency-Key: a request with this key is still running.",
                Errors.Say(409, "A request with this Idempotency-Key is still running", "Retry once it has finished."))
            .Fails(410, "Idempotency-Key: the first request's job is past retention.", Errors.Of(ApiError.JobExpired()))
            .Fails(413, "A file or the request is too large.", [.. TooLarge(spec, maxFileBytes)])
            .Fails(415, "A file is not of a supported type, or the body is not multipart/form-data.", [.. Unsupported(spec)])
            .Fails(422, "Idempotency-Key: the key was used with another request.",
                Errors.Say(422, "Idempotency-Key was already used with another request", "Use a new key for a different request."));
        if (spec.Verb is not (Verb.ChangeBg or Verb.Headshot))
            doc.Busy("The channel already runs a blocking command (executingJobs); retry when it ends, or use another channel.");
        return doc;
    }

    private static string Duration(TimeSpan wait) => wait.TotalMinutes >= 1 ? $"{wait.TotalMinutes:0.#} minutes" : $"{wait.TotalSeconds:0.#} seconds";

    private static IEnumerable<ApiError> BadRequests(CommandSpec spec, ServerFacts facts)
    {
        foreach (var name in spec.Required) yield return Errors.Of(Refusal.MissingParam(name));
        foreach (var name in spec.Required.Concat(spec.Optional).Concat(CommonFields).Where(n => !spec.Uploads.ContainsKey(n)))
            yield return Errors.Of(Refusal.TooLong(name, FieldLimits.For(name)));
        if (spec.Idname is { } syntax)
        {
            var bad = "me, you";
            yield return Errors.Say(400, $"Required param idname ({bad}) is not valid", Idnames.Problem(bad, syntax));
        }
        if (spec.Optional.Contains("saveid_idname"))
            yield return Errors.Say(400, "Optional param saveid_idname (my face) is not valid", Idnames.Problem("my face", IdnameSyntax.Single));
        yield return spec.ChannelRule == ChannelRule.SingleOrRequired
            ? Errors.Say(400, "Required param channel is missing or empty", "You have 2 channels configured; name one of them.")
            : Errors.Say(400, "No configured channel can run this command now",
                "Every channel is out of credits, has an invalid token, or runs an engine without this command.");
        if (facts.LocalVerbs is { } local && !local.Contains(spec.Verb))
        {
            // As the intake words it for a channel named "local" (ChannelSelection).
            yield return Errors.Say(400, $"The {EngineNames.Local} engine can not run {spec.Verb.ToWire()}",
                $"Channel {EngineNames.Local} runs the {EngineNames.Local} engine, which has {string.Join(", ", local.Order().Select(v => v.ToWire()))}; "
                + $"{spec.Verb.ToWire()} needs a generative model or a bot it does not have. Run it on a channel whose engine has it.");
        }
        yield return Errors.Say(400, "Optional param replyUrl (ftp://example.com/hook) is not a valid http(s) URL");
        yield return facts.UnreachableReplyUrl;
        yield return Errors.Say(400, "Header Idempotency-Key is not valid", "Use 1 to 255 printable ASCII characters, e.g. a UUID.");
        yield return Errors.Say(400, $"Too many form fields (max {FieldLimits.MaxFormFields})", "A command has a handful of fields; send each once.");
        yield return Errors.Say(400, "Param channel is given more than once", "Send each field once.");
        yield return Errors.Say(400, "A form field name is too long (max 64 characters)");
        yield return Errors.Say(400, "Malformed multipart/form-data body", "The Content-Type header names no boundary.");
        if (spec.AcceptsJson)
        {
            yield return Errors.Say(400, "Malformed JSON body", "The body is not a JSON object.");
            yield return Errors.Of(Refusal.NotText("prompt"));
        }
    }

    private static IEnumerable<ApiError> TooLarge(CommandSpec spec, long maxFileBytes)
    {
        foreach (var name in spec.Uploads.Keys)
            yield return Errors.Say(413, $"File {name} is too large", $"More than {maxFileBytes} bytes; the limit is {maxFileBytes} bytes.");
        yield return Errors.Say(413, "Request is too large", $"Each file may have at most {maxFileBytes} bytes.");
        if (spec.AcceptsJson) yield return Errors.Say(413, "Request is too large", $"A JSON body may have at most {FieldLimits.MaxJsonBytes} bytes.");
    }

    private static IEnumerable<ApiError> Unsupported(CommandSpec spec)
    {
        foreach (var (name, kind) in spec.Uploads)
        {
            var allowed = kind == UploadKind.Image ? "a PNG, JPEG or WebP image" : "a PNG, JPEG or WebP image, a GIF, or an MP4, MOV or WebM video";
            yield return Errors.Say(415, $"File {name} is not a supported image", $"Its content is not {allowed} (declared type: text/plain).");
        }
        yield return Errors.Say(415, "Unsupported Content-Type", "Send multipart/form-data (or JSON where the command takes it).");
    }

    private static string IdnameAbout(IdnameSyntax? syntax) => syntax switch
    {
        IdnameSyntax.SwapId => "The saved id(s) to swap on, in face order: `a,b` (no spaces), `_` to leave a face, `a+b` to mix up to three; "
            + "then optionally `--oldify N` (or `-o N`, 1–1000). Each id: letters and digits, 1–10 characters.",
        IdnameSyntax.SetId => "The default id(s), as for swapid (`a,b`, `_`, `a+b`), or a prefer option: `--greedy` or `--nogreedy`.",
        _ => Fields["idname"],
    };

    /// <summary>The form: files as binary parts, text fields with their limits; headshot also as JSON.</summary>
    private static OpenApiRequestBody Form(CommandSpec spec, long maxFileBytes)
    {
        var properties = new Dictionary<string, IOpenApiSchema>();
        foreach (var name in spec.Required.Concat(spec.Optional).Concat(CommonFields))
        {
            properties[name] = spec.Uploads.ContainsKey(name)
                ? new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", Description = $"{Files[name]} At most {maxFileBytes} bytes." }
                : WireSchemas.Text(name == "idname" ? IdnameAbout(spec.Idname) : Fields[name], FieldLimits.For(name));
        }
        var form = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Properties = properties,
            Required = spec.Required.ToHashSet(),
        };
        var content = new Dictionary<string, OpenApiMediaType>
        {
            ["multipart/form-data"] = new()
            {
                Schema = form,
                Encoding = spec.Uploads.ToDictionary(u => u.Key, u => new OpenApiEncoding
                {
                    ContentType = u.Value == UploadKind.Image ? "image/png, image/jpeg, image/webp" : "image/png, image/jpeg, image/webp, image/gif, video/mp4, video/quicktime, video/webm",
                }),
            },
        };
        if (spec.AcceptsJson)
        {
            var json = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Properties = properties.ToDictionary(p => p.Key, p => p.Value),
                Required = spec.Required.ToHashSet(),
            };
            var example = new JsonObject { ["prompt"] = "me, an astronaut", ["channel"] = JobExamples.Channel };
            content["application/json"] = new() { Schema = json, Example = example };
        }
        return new OpenApiRequestBody
        {
            Required = spec.Required.Length > 0,
            Description = spec.Uploads.Count > 0
                ? "multipart/form-data: files as file parts, the rest as text fields."
                : spec.AcceptsJson ? "multipart/form-data or JSON." : "multipart/form-data (an empty form is fine).",
            Content = content,
        };
    }
}
