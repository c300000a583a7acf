using System.Text.Json.Serialization;

namespace FaceSwap.Client;

/// <summary><c>GET /webhook</c>: the default replyUrl, the opted-in events and the signing secrets.</summary>
public sealed record WebhookSettings
{
    [JsonPropertyName("replyUrl")] public string? ReplyUrl { get; init; }
    /// <summary>Calls beyond the final one: <c>started</c>, <c>progress</c>.</summary>
    [JsonPropertyName("events")] public IReadOnlyList<string> Events { get; init; } = [];
    /// <summary>The current secret (<c>whsec_…</c>), for <see cref="WebhookVerifier"/>.</summary>
    [JsonPropertyName("secret")] public string? Secret { get; init; }
    /// <summary>After a rotation, the previous secret still signs until <see cref="PreviousSecretExpires"/>.</summary>
    [JsonPropertyName("previousSecret")] public string? PreviousSecret { get; init; }
    [JsonPropertyName("previousSecretExpires")] public DateTimeOffset? PreviousSecretExpires { get; init; }
    [JsonPropertyName("signature")] public string? Signature { get; init; }
}

/// <summary>One webhook delivery of a job (<c>GET /jobs/deliveries?jobid=</c>).</summary>
public sealed record Delivery
{
    /// <summary>The <c>webhook-id</c> header's value, the same on every attempt.</summary>
    [JsonPropertyName("webhookId")] public string WebhookId { get; init; } = "";
    [JsonPropertyName("url")] public string? Url { get; init; }
    /// <summary>The job status that was delivered.</summary>
    [JsonPropertyName("event")] public string? Event { get; init; }
    /// <summary><c>pending</c>, <c>delivered</c>, <c>failed</c>, …</summary>
    [JsonPropertyName("state")] public string? State { get; init; }
    [JsonPropertyName("created")] public DateTimeOffset? Created { get; init; }
    [JsonPropertyName("attempts")] public IReadOnlyList<DeliveryAttempt> Attempts { get; init; } = [];
    [JsonPropertyName("nextAttempt")] public DateTimeOffset? NextAttempt { get; init; }
}

public sealed record DeliveryAttempt
{
    [JsonPropertyName("at")] public DateTimeOffset At { get; init; }
    [JsonPropertyName("httpStatus")] public int? HttpStatus { get; init; }
    [JsonPropertyName("error")] public string? Error { get; init; }
    [JsonPropertyName("durationMs")] public long DurationMs { get; init; }
}

/// <summary>The answer of <c>POST /jobs/redeliver?jobid=</c>: a new delivery, queued.</summary>
public sealed record Redelivery(
    [property: JsonPropertyName("webhookId")] string WebhookId,
    [property: JsonPropertyName("jobid")] string JobId,
    [property: JsonPropertyName("status")] JobStatus Status);
