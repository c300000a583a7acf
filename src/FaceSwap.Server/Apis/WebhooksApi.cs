using System.Text.Json;
using System.Text.Json.Nodes;
using FaceSwap.Core.Intake;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Webhooks;
using FaceSwap.Server.Auth;
using FaceSwap.Server.Hosting;
using FaceSwap.Server.Webhooks;
using FaceSwap.Server.Wire;

namespace FaceSwap.Server.Apis;

/// <summary>
/// replyUrl settings and the delivery log (our extension, spec section 5): the default replyUrl, the
/// signing secret and its rotation, each job's delivery attempts, and redelivery.
/// </summary>
public static class WebhooksApi
{
    public static RouteGroupBuilder MapWebhooksApi(this RouteGroupBuilder api)
    {
        api.MapGet("/webhook", GetSettings);
        api.MapPost("/webhook", SaveSettings);
        // The commercial family sets the default replyUrl on the account itself: POST /account {"replyUrl": …}.
        api.MapPost("/account", SaveSettings);
        api.MapPost("/webhook/rotate", RotateSecret);
        api.MapGet("/jobs/deliveries", ListDeliveries);
        api.MapPost("/jobs/redeliver", Redeliver);
        return api;
    }

    private static async Task<IResult> GetSettings(HttpContext http, IUserStore users, WebhookSecrets secrets, TimeProvider clock)
    {
        var userId = Caller.Of(http).UserId;
        var settings = await users.GetWebhookSettingsAsync(userId, http.RequestAborted);
        return Results.Json(Render(settings, await secrets.GetAsync(userId, http.RequestAborted), clock.GetUtcNow()));
    }

    /// <summary>
    /// <c>{"replyUrl": "…" | null, "events"?: ["started", "progress"]}</c>: the default replyUrl (null clears it), and the
    /// callbacks beyond the final one that the user opts in to (absent: none, the vendor's default).
    /// </summary>
    private static async Task<IResult> SaveSettings(HttpContext http, IUserStore users, IReplyUrlGuard guard)
    {
        var body = await JsonBodies.ReadAsync(http.Request, http.RequestAborted);
        if (body is null) return ApiError.Result(400, "Malformed JSON body", "Send a JSON object such as {\"replyUrl\": \"https://…\"}.");
        if (!body.ContainsKey("replyUrl")) return ApiError.MissingParam("replyUrl");
        var replyUrl = JsonBodies.Text(body, "replyUrl");
        var events = Events(body);
        if (replyUrl is not null)
        {
            if (!ReplyUrlSyntax.IsValid(replyUrl)) return ApiError.Result(400, $"Param replyUrl ({replyUrl}) is not a valid http(s) URL");
            if (await guard.CheckAsync("replyUrl", replyUrl, http.RequestAborted) is { } refused) return refused.ToResult();
        }
        await users.SetReplyUrlAsync(Caller.Of(http).UserId, replyUrl, events, http.RequestAborted);
        return Results.NoContent();
    }

    private static ReplyEvents Events(JsonObject body)
    {
        if (!body.TryGetPropertyValue("events", out var node) || node is null) return ReplyEvents.Final;
        if (node is not JsonArray array || array.Count > ReplyEventNames.ByName.Count)
            throw new RefusedException(400, "Param events must be a list of event names", EventsHelp);
        var events = ReplyEvents.Final;
        foreach (var item in array)
        {
            if (item?.GetValueKind() != JsonValueKind.String || !ReplyEventNames.ByName.TryGetValue(item.GetValue<string>(), out var one))
                throw new RefusedException(400, "Param events must be a list of event names", EventsHelp);
            events |= one;
        }
        return events;
    }

    private const string EventsHelp = "Use [], [\"started\"], [\"progress\"] or [\"started\", \"progress\"]; the final call (completed, failed, moderated, cancelled) always comes.";

    private static async Task<IResult> RotateSecret(HttpContext http, IUserStore users, WebhookSecrets secrets, TimeProvider clock)
    {
        var userId = Caller.Of(http).UserId;
        var rotated = await secrets.RotateAsync(userId, http.RequestAborted);
        var settings = await users.GetWebhookSettingsAsync(userId, http.RequestAborted);
        return Results.Json(Render(settings, rotated, clock.GetUtcNow()));
    }

    private static async Task<IResult> ListDeliveries(HttpContext http, IJobStore jobs, IDeliveryStore deliveries)
    {
        var (job, error) = await JobsApi.JobOfQueryAsync(http, jobs);
        if (job is null) return error!;
        var log = await deliveries.ListForJobAsync(job.Id, http.RequestAborted);
        return Results.Json(new JsonArray(log.Select(entry => (JsonNode)RenderDelivery(entry.Delivery, entry.Attempts)).ToArray()));
    }

    private static async Task<IResult> Redeliver(HttpContext http, IJobStore jobs, IDeliveryStore deliveries, WebhookDeliverer deliverer, TimeProvider clock)
    {
        var (job, error) = await JobsApi.JobOfQueryAsync(http, jobs);
        if (job is null) return error!;
        if (job.ReplyUrl is null) return ApiError.Result(400, $"Job {job.Id} has no replyUrl", "Submit jobs with replyUrl, or set a default with POST /webhook.");
        // Only a replyUrl stored before such URLs were refused at intake (a control character) fails here.
        if (!ReplyUrlSyntax.IsValid(job.ReplyUrl)) return ApiError.Result(400, $"Job {job.Id} has a replyUrl that is not a valid http(s) URL");
        var now = clock.GetUtcNow();
        var delivery = new Delivery(DeliveryPolicy.NewDeliveryId(), job.Id, job.UserId, job.ReplyUrl, job.Status.ToWire(), job,
            DeliveryState.Pending, 0, now, now);
        await deliveries.EnqueueAsync(delivery, http.RequestAborted);
        deliverer.Wake();
        return Results.Json(new { webhookId = delivery.Id, jobid = job.Id, status = job.Status.ToWire(), code = 202 }, statusCode: 202);
    }

    private static JsonObject Render(WebhookSettings settings, SigningSecrets secrets, DateTimeOffset now)
    {
        var view = new JsonObject();
        if (settings.ReplyUrl is not null) view["replyUrl"] = settings.ReplyUrl;
        view["events"] = new JsonArray(ReplyEventNames.Names(settings.ReplyEvents).Select(n => (JsonNode)n).ToArray());
        view["secret"] = secrets.Current;
        if (secrets.Previous is not null && secrets.PreviousUntil > now)
        {
            view["previousSecret"] = secrets.Previous;
            view["previousSecretExpires"] = JobView.Timestamp(secrets.PreviousUntil!.Value);
        }
        view["signature"] = "Standard Webhooks v1: headers webhook-id, webhook-timestamp, webhook-signature (v1,<base64 HMAC-SHA256 of id.timestamp.body>)";
        return view;
    }

    private static JsonObject RenderDelivery(Delivery delivery, IReadOnlyList<DeliveryAttempt> attempts)
    {
        var view = new JsonObject
        {
            ["webhookId"] = delivery.Id,
            ["url"] = delivery.Url,
            ["event"] = delivery.Event,
            ["state"] = delivery.State.ToString().ToLowerInvariant(),
            ["created"] = JobView.Timestamp(delivery.Created),
            ["attempts"] = new JsonArray(attempts.Select(a =>
            {
                var attempt = new JsonObject { ["at"] = JobView.Timestamp(a.At) };
                if (a.HttpStatus is { } status) attempt["httpStatus"] = status;
                if (a.Error is { } error) attempt["error"] = error;
                attempt["durationMs"] = (long)a.Duration.TotalMilliseconds;
                return (JsonNode)attempt;
            }).ToArray()),
        };
        if (delivery.State == DeliveryState.Pending) view["nextAttempt"] = JobView.Timestamp(delivery.NextAttempt);
        return view;
    }
}
