using Microsoft.OpenApi;

namespace FaceSwap.Server.OpenApi;

/// <summary>
/// The call this server makes to a job's replyUrl (an OpenAPI 3.1 webhook): the job as GET /jobs/?jobid= shows it,
/// signed per Standard Webhooks, retried from a durable outbox (<see cref="Webhooks.WebhookDeliverer"/>).
/// </summary>
public static class ReplyUrlCall
{
    public static OpenApiPathItem Describe(OpenApiDocument document)
    {
        var operation = new OpenApiOperation
        {
            OperationId = "replyUrl",
            Summary = "The job, POSTed to its replyUrl",
            Description = "Once when the job ends (completed, failed, moderated or cancelled); also when an async job starts and at each progress "
                + "message if you opted in (POST /webhook `events`). The body is the job exactly as GET /jobs/?jobid= shows it.\n\n"
                + "Verify `webhook-signature` before trusting the body: `v1,` then the base64 HMAC-SHA256, keyed with your secret (GET /webhook; "
                + "the base64 after `whsec_`), of `webhook-id.webhook-timestamp.body`. Several signatures may be given, space-separated, while a "
                + "rotated secret still signs. Redirects are not followed; an attempt times out after 15 s by default.",
            Tags = new HashSet<OpenApiTagReference> { new("Webhooks", document) },
            Parameters =
            [
                Header("webhook-id", "The delivery's id: the same on every retry (deduplicate on it)."),
                Header("webhook-timestamp", "Unix seconds when this attempt was signed (reject old ones to stop replays)."),
                Header("webhook-signature", "v1,<base64 HMAC-SHA256 of \"id.timestamp.body\">, space-separated when several secrets sign."),
            ],
            RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new()
                    {
                        Schema = WireSchemas.Ref(WireSchemas.Job, document),
                        Examples = new Dictionary<string, IOpenApiExample>
                        {
                            ["seed"] = new OpenApiExample { Summary = "A completed headshot", Value = JobExamples.Seed() },
                        },
                    },
                },
            },
            Responses = new OpenApiResponses
            {
                ["200"] = new OpenApiResponse { Description = "Any 2xx: delivered." },
                ["410"] = new OpenApiResponse { Description = "Gone: no more deliveries to this URL (every pending one to it stops)." },
                ["default"] = new OpenApiResponse
                {
                    Description = "Anything else, a timeout or a refused connection: retried with backoff and jitter over about three days "
                        + "(the Standard Webhooks schedule; a Retry-After up to a day is honoured). Each attempt is listed by GET /jobs/deliveries?jobid=.",
                },
            },
        };
        return new OpenApiPathItem { Operations = new Dictionary<HttpMethod, OpenApiOperation> { [HttpMethod.Post] = operation } };
    }

    private static OpenApiParameter Header(string name, string about) => new()
    {
        Name = name, In = ParameterLocation.Header, Required = true, Description = about, Schema = new OpenApiSchema { Type = JsonSchemaType.String },
    };
}
