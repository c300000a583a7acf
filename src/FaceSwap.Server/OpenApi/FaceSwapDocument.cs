using FaceSwap.Core.Accounts;
using FaceSwap.Core.Dispatch;
using FaceSwap.Core.Jobs;
using FaceSwap.Server.Hosting;
using FaceSwap.Server.Webhooks;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace FaceSwap.Server.OpenApi;

/// <summary>Marks the endpoints behind the bearer-token filter, so the document says they need a token and may answer 401 and 402.</summary>
public sealed class BearerTokenRequired
{
    public static readonly BearerTokenRequired Instance = new();
}

/// <summary>
/// Completes the document the framework generates from the routes: the API's description, its schemas,
/// the bearer scheme, and each endpoint's documentation from <see cref="ApiOperations"/>. An endpoint the
/// catalogue does not know keeps what its own metadata says (its area documents it where it maps it).
/// </summary>
public sealed class FaceSwapDocument(IOptions<UploadOptions> uploads, IOptions<JobsOptions> jobs, EngineRegistry engines) : IOpenApiDocumentTransformer
{
    public const string BearerScheme = "bearer";

    public async Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "FaceSwap API v1",
            Version = "v1",
            Description = "A self-hosted server of the FaceSwap API v1: submit a command, get a job, read its status and results with "
                + "GET /v1/faceswap/jobs/?jobid=. A client of the commercial service works here by changing only its base URL and token.\n\n"
                + "Every call but the result files and the operator surface needs `Authorization: Bearer <token>`. "
                + "Every error is `{\"error\", \"errorDetails\"?, \"code\"}` with the HTTP status in `code`; nothing is stored for a refused request.",
        };
        document.Components ??= new OpenApiComponents();
        WireSchemas.AddTo(document);
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "Your API token (`users add` / `users token` on the server, or the bootstrap token).",
        };
        // The replyUrl refusal as the guard words it under the default egress rules (a private address, so no lookup).
        var unreachable = await new ReplyUrlGuard(Options.Create(new WebhookOptions())).CheckAsync("replyUrl", "http://192.168.1.20/hook", cancellationToken)
            ?? throw new InvalidOperationException("The replyUrl guard accepts a private address by default");
        var facts = new ServerFacts(uploads.Value.MaxFileBytes, jobs.Value.BlockingWait, jobs.Value.Retention, Errors.Of(unreachable),
            engines.Find(EngineNames.Local)?.SupportedVerbs);
        var catalogue = ApiOperations.All(facts);
        document.Paths ??= new OpenApiPaths();
        foreach (var doc in catalogue)
        {
            var operation = OperationAt(document, doc.Method, doc.Path);
            doc.ApplyTo(operation, document);
            if (doc.NeedsToken) RequireToken(operation, document);
        }
        // Endpoints the catalogue does not describe keep their own metadata; behind the token filter they get its answers too.
        foreach (var description in context.DescriptionGroups.SelectMany(g => g.Items))
        {
            var path = "/" + description.RelativePath;
            if (description.HttpMethod is not { } method || catalogue.Any(d => d.Method == method.ToUpperInvariant() && d.Path == path)) continue;
            if (description.ActionDescriptor.EndpointMetadata.OfType<BearerTokenRequired>().Any())
                RequireToken(OperationAt(document, method, path), document);
        }
        // The catalogue's order (by area, the seed page beside the job list); routes it does not know after them.
        var order = catalogue.Select(d => d.Path).Distinct().ToList();
        var paths = new OpenApiPaths();
        foreach (var (path, item) in document.Paths.OrderBy(p => order.IndexOf(p.Key) is var i and >= 0 ? i : int.MaxValue)) paths[path] = item;
        document.Paths = paths;
        document.Webhooks = new Dictionary<string, IOpenApiPathItem> { ["replyUrl"] = ReplyUrlCall.Describe(document) };
        // The API's areas first, with their descriptions; then the tags other endpoints' metadata gives them (the generated
        // tags of the operations the catalogue retagged are gone).
        var used = document.Paths.Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []).SelectMany(o => o.Tags ?? new HashSet<OpenApiTagReference>())
            .Select(t => t.Name).ToHashSet();
        var tags = ApiOperations.Tags.Select(t => new OpenApiTag { Name = t.Name, Description = t.About }).ToList();
        tags.AddRange((document.Tags ?? new HashSet<OpenApiTag>()).Where(t => used.Contains(t.Name) && tags.All(mine => mine.Name != t.Name)));
        document.Tags = tags.ToHashSet();
    }

    /// <summary>The operation at a path, made if the generated document has none (the seed page and /metrics have no route of their own there).</summary>
    private static OpenApiOperation OperationAt(OpenApiDocument document, string method, string path)
    {
        if (!document.Paths.TryGetValue(path, out var found)) document.Paths[path] = found = new OpenApiPathItem();
        var item = (OpenApiPathItem)found;
        item.Operations ??= new Dictionary<HttpMethod, OpenApiOperation>();
        var key = new HttpMethod(method);
        if (!item.Operations.TryGetValue(key, out var operation)) item.Operations[key] = operation = new OpenApiOperation();
        return operation;
    }

    /// <summary>The bearer scheme, and the two answers of the token filter, exactly as it writes them.</summary>
    private static void RequireToken(OpenApiOperation operation, OpenApiDocument document)
    {
        operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] }];
        operation.Responses ??= new OpenApiResponses();
        // The filter writes these two, whatever the endpoint declared.
        operation.Responses["401"] = Error(document, "The token is missing, malformed or unknown.", Errors.Of(Wire.ApiError.Unauthorized()));
        operation.Responses["402"] = Error(document, "The token was revoked, or its user's subscription expired.", Errors.Of(Wire.ApiError.NoSubscription()));
    }

    private static OpenApiResponse Error(OpenApiDocument document, string about, Wire.ApiError error) => new()
    {
        Description = about,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/json"] = new()
            {
                Schema = WireSchemas.Ref(WireSchemas.ApiError, document),
                Examples = new Dictionary<string, IOpenApiExample> { [error.Error] = new OpenApiExample { Summary = error.Error, Value = Errors.Json(error) } },
            },
        },
    };
}
