using System.Net.Http.Json;
using System.Text.Json;

namespace FaceSwap.Client;

/// <summary>replyUrl settings, signing secrets and the delivery log (our extension, spec section 5).</summary>
public sealed partial class FaceSwapClient
{
    /// <summary><c>GET /webhook</c>: the default replyUrl, the opted-in events and the signing secret.</summary>
    public Task<WebhookSettings> GetWebhookSettingsAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<WebhookSettings>(Request(HttpMethod.Get, "webhook"), cancellationToken);

    /// <summary>
    /// <c>POST /webhook</c>: the default replyUrl (null clears it) and the calls beyond the final one
    /// (<c>started</c>, <c>progress</c>; none when null).
    /// </summary>
    public Task SaveWebhookSettingsAsync(string? replyUrl, IEnumerable<string>? events = null, CancellationToken cancellationToken = default)
    {
        var request = Request(HttpMethod.Post, "webhook");
        var body = new Dictionary<string, object?> { ["replyUrl"] = replyUrl };
        if (events is not null) body["events"] = events.ToArray();
        request.Content = JsonContent.Create(body, options: new JsonSerializerOptions(Json) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never });
        request.Options.Set(RetryPolicy.Repeatable, true);
        return SendNoContentAsync(request, cancellationToken);
    }

    /// <summary><c>POST /webhook/rotate</c>: a new secret; the previous one keeps signing for a while.</summary>
    public Task<WebhookSettings> RotateWebhookSecretAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<WebhookSettings>(Request(HttpMethod.Post, "webhook/rotate"), cancellationToken);

    /// <summary><c>GET /jobs/deliveries?jobid=</c>: each webhook delivery of the job and its attempts.</summary>
    public Task<IReadOnlyList<Delivery>> ListDeliveriesAsync(string jobId, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<Delivery>>(Request(HttpMethod.Get, "jobs/deliveries?jobid=" + Query(jobId)), cancellationToken);

    /// <summary><c>POST /jobs/redeliver?jobid=</c>: sends the job to its replyUrl again.</summary>
    public Task<Redelivery> RedeliverAsync(string jobId, CancellationToken cancellationToken = default) =>
        ReadAsync<Redelivery>(Request(HttpMethod.Post, "jobs/redeliver?jobid=" + Query(jobId)), cancellationToken);
}
