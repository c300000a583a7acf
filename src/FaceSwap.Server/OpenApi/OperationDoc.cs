using System.Text.Json;
using System.Text.Json.Nodes;
using FaceSwap.Core.Intake;
using FaceSwap.Server.Wire;
using Microsoft.OpenApi;

namespace FaceSwap.Server.OpenApi;

/// <summary>
/// What the document says about one endpoint: its summary and description, parameters, body, and every
/// answer it can give, each error with the exact texts the server writes as examples.
/// </summary>
/// <param name="id">The operationId: the name client generators give the call.</param>
public sealed class OperationDoc(string id, string method, string path, string tag, string summary, string description)
{
    public string Method { get; } = method;
    public string Path { get; } = path;

    /// <summary>False for the few public endpoints (result files, operator surface); the others need a bearer token.</summary>
    public bool NeedsToken { get; private set; } = true;

    private readonly List<Func<OpenApiDocument, IOpenApiParameter>> _parameters = [];
    private Func<OpenApiDocument, OpenApiRequestBody>? _body;
    private readonly SortedDictionary<int, Func<OpenApiDocument, OpenApiResponse>> _responses = [];

    public OperationDoc Public()
    {
        NeedsToken = false;
        return this;
    }

    public OperationDoc Query(string name, string about, bool required = false, OpenApiSchema? schema = null)
    {
        _parameters.Add(_ => new OpenApiParameter
        {
            Name = name, In = ParameterLocation.Query, Required = required, Description = about,
            Schema = schema ?? new OpenApiSchema { Type = JsonSchemaType.String },
        });
        return this;
    }

    public OperationDoc Route(string name, string about, int? maxLength = null)
    {
        _parameters.Add(_ => new OpenApiParameter
        {
            Name = name, In = ParameterLocation.Path, Required = true, Description = about,
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = maxLength },
        });
        return this;
    }

    public OperationDoc Header(string name, string about, OpenApiSchema schema, JsonNode? example = null)
    {
        _parameters.Add(_ => new OpenApiParameter
        {
            Name = name, In = ParameterLocation.Header, Required = false, Description = about, Schema = schema, Example = example?.DeepClone(),
        });
        return this;
    }

    public OperationDoc Body(Func<OpenApiDocument, OpenApiRequestBody> body)
    {
        _body = body;
        return this;
    }

    public OperationDoc JsonBody(string schema, string about, JsonNode example, bool required = true) => Body(document => new OpenApiRequestBody
    {
        Description = about,
        Required = required,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/json"] = new() { Schema = WireSchemas.Ref(schema, document), Example = example.DeepClone() },
        },
    });

    /// <summary>A successful answer with a JSON body of <paramref name="schema"/>, and named examples.</summary>
    public OperationDoc Answers(int status, string about, string schema, params (string Name, JsonNode Value)[] examples) =>
        Answers(status, about, document => WireSchemas.Ref(schema, document), examples);

    public OperationDoc Answers(int status, string about, Func<OpenApiDocument, IOpenApiSchema> schema, params (string Name, JsonNode Value)[] examples)
    {
        _responses[status] = document => new OpenApiResponse
        {
            Description = about,
            Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = Media(schema(document), examples) },
        };
        return this;
    }

    /// <summary>A successful answer with no body (204) or a body that is not JSON.</summary>
    public OperationDoc Answers(int status, string about, string? contentType = null, OpenApiSchema? schema = null, JsonNode? example = null)
    {
        _responses[status] = _ => new OpenApiResponse
        {
            Description = about,
            Content = contentType is null ? null : new Dictionary<string, OpenApiMediaType>
            {
                [contentType] = new() { Schema = schema, Example = example?.DeepClone() },
            },
        };
        return this;
    }

    /// <summary>A file: its bytes, with the file's own Content-Type.</summary>
    public OperationDoc AnswersFile(int status, string about, params string[] contentTypes)
    {
        _responses[status] = _ => new OpenApiResponse
        {
            Description = about,
            Content = contentTypes.ToDictionary(t => t, _ => new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } }),
        };
        return this;
    }

    /// <summary>Response headers of a documented answer.</summary>
    public OperationDoc WithHeaders(int status, params (string Name, string About)[] headers)
    {
        var build = _responses[status];
        _responses[status] = document =>
        {
            var response = build(document);
            response.Headers = headers.ToDictionary(h => h.Name, h => (IOpenApiHeader)new OpenApiHeader
            {
                Description = h.About, Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
            return response;
        };
        return this;
    }

    /// <summary>An error answer: the error shape, with each text the server can write for it as an example.</summary>
    public OperationDoc Fails(int status, string about, params ApiError[] errors) => Fails(status, about, WireSchemas.ApiError, errors);

    public OperationDoc Fails(int status, string about, string schema, params ApiError[] errors)
    {
        foreach (var error in errors)
        {
            if (error.Code != status) throw new ArgumentException($"{Method} {Path}: the example '{error.Error}' is a {error.Code}, not a {status}");
        }
        if (!_errors.TryGetValue(status, out var examples)) _errors[status] = examples = [];
        foreach (var error in errors)
        {
            // Examples are named by their text; the same text for another reason is named by its details too.
            var name = examples.Any(e => e.Name == error.Error) ? $"{error.Error} ({error.ErrorDetails})" : error.Error;
            examples.Add((name, Errors.Json(error)));
        }
        _responses[status] = document => new OpenApiResponse
        {
            Description = about,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = Media(WireSchemas.Ref(schema, document), [.. examples.DistinctBy(e => e.Name)]),
            },
        };
        return this;
    }

    private readonly Dictionary<int, List<(string Name, JsonNode Value)>> _errors = [];

    /// <summary>The 429 of a busy channel: the error shape plus the jobs it runs.</summary>
    public OperationDoc Busy(string about)
    {
        var busy = Refusal.Busy(JobExamples.Channel, [JobExamples.JobId]);
        var example = JsonSerializer.SerializeToNode(new BusyError(busy.Error, busy.Code, busy.ExecutingJobs!))!;
        _responses[429] = document => new OpenApiResponse
        {
            Description = about,
            Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = Media(WireSchemas.Ref(WireSchemas.BusyError, document), [(busy.Error, example)]) },
        };
        return this;
    }

    public bool Documents(int status) => _responses.ContainsKey(status);

    /// <summary>Writes this description into the operation the framework generated (or a new one).</summary>
    public void ApplyTo(OpenApiOperation operation, OpenApiDocument document)
    {
        operation.OperationId = id;
        operation.Summary = summary;
        operation.Description = description;
        operation.Tags = new HashSet<OpenApiTagReference> { new(tag, document) };
        operation.Parameters = _parameters.Select(p => p(document)).ToList();
        operation.RequestBody = _body?.Invoke(document);
        operation.Responses = new OpenApiResponses();
        foreach (var (status, response) in _responses) operation.Responses[status.ToString()] = response(document);
    }

    private static OpenApiMediaType Media(IOpenApiSchema schema, (string Name, JsonNode Value)[] examples) => new()
    {
        Schema = schema,
        Examples = examples.Length == 0 ? null : examples.ToDictionary(e => e.Name, e => (IOpenApiExample)new OpenApiExample { Summary = e.Name, Value = e.Value.DeepClone() }),
    };
}

/// <summary>Error examples, taken from the code that answers them wherever the code has a factory for them.</summary>
public static class Errors
{
    public static ApiError Of(Refusal refusal) => new(refusal.Error, refusal.Details, refusal.Code);

    /// <summary>The body of an error result (<see cref="ApiError"/>'s factories, <see cref="Refusals.ToResult"/>).</summary>
    public static ApiError Of(IResult result) => result is IValueHttpResult { Value: ApiError error }
        ? error
        : throw new ArgumentException($"{result.GetType().Name} is not an error of the API's shape");

    public static ApiError Say(int code, string error, string? details = null) => new(error, details, code);

    public static JsonObject Json(ApiError error) => JsonSerializer.SerializeToNode(error)!.AsObject();
}
