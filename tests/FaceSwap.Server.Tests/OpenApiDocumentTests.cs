using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FaceSwap.Core.Accounts;
using FaceSwap.Core.Engines;
using FaceSwap.Core.Intake;
using FaceSwap.Core.Jobs;
using FaceSwap.Server.OpenApi;
using FaceSwap.Server.Tests.Infrastructure;
using FaceSwap.Server.Wire;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace FaceSwap.Server.Tests;

/// <summary>
/// The OpenAPI document (<c>/openapi/v1.json</c>) checked against the running server: its routes, its real answers and
/// the job it really writes; and the docs UI (<c>/docs</c>) that shows it.
/// </summary>
/// <remarks>
/// Which routes are the API: everything under <c>/v1/faceswap</c>, and the operator's <c>/healthz</c> and <c>/metrics</c>.
/// Every other route is a page or its assets (the docs UI under <c>/docs</c>, the document itself under <c>/openapi</c>,
/// the dashboard's pages under <c>/dashboard</c>) and is not described. An API endpoint counts as documented when the
/// document has it with its method, a summary, a success answer, and every error answer in the error shape.
/// </remarks>
public sealed class OpenApiDocumentTests(OpenApiDocumentTests.Server fixture) : IClassFixture<OpenApiDocumentTests.Server>
{
    /// <summary>The fixture's channel; the documents' examples name another (<see cref="JobExamples.Channel"/>), which this server does not have.</summary>
    public const string Channel = "1100000000000000002";

    public const string DiscordToken = "MTAxOTg3NjU0MzIxMDk4NzY1NA.GabcDE.not-a-real-token-8Xo";
    public const string DiscordServer = "1100000000000000000";

    /// <summary>The largest file this server takes: small, so that a 413 is cheap to provoke.</summary>
    public const int MaxFileBytes = 4096;

    /// <summary>
    /// One server for the class. Its user has two channels: one with a Discord server and token (so its jobs carry every
    /// field of the seed), and a local-engine channel named <c>local</c>.
    /// </summary>
    public sealed class Server : IAsyncLifetime
    {
        public GatedEngine Engine { get; } = new() { AutoComplete = true };
        public RunningServer Running { get; private set; } = null!;
        public JsonObject Document { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Running = await RunningServer.StartAsync(
                new Dictionary<string, string?>
                {
                    ["FaceSwap:Uploads:MaxFileBytes"] = MaxFileBytes.ToString(),
                    // A receiver on this machine that refuses connections: deliveries with attempts, at once.
                    ["FaceSwap:Webhooks:AllowedNetworks:0"] = "127.0.0.1/32",
                },
                services => services.AddSingleton<IEngine>(Engine));
            var userId = await Running.BootstrapUserIdAsync();
            await Running.AddAccountAsync(userId, Channel, GatedEngine.DefaultName, server: DiscordServer, discordToken: DiscordToken);
            await Running.AddAccountAsync(userId, EngineNames.Local, EngineNames.Local);
            using var anonymous = Anonymous();
            Document = JsonNode.Parse(await anonymous.GetStringAsync(ApiDocs.DocumentPath))!.AsObject();
        }

        public HttpClient Anonymous() => new() { BaseAddress = Running.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };

        public async Task DisposeAsync() => await Running.DisposeAsync();
    }

    private JsonObject Document => fixture.Document;

    /// <summary>The rule above: an API route, or a page.</summary>
    private static bool IsApi(string path) =>
        path == ApiOperations.Base || path.StartsWith(ApiOperations.Base + "/", StringComparison.Ordinal) || path is "/healthz" or "/metrics";

    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

    /// <summary>Every (method, path, operation) of the document.</summary>
    private IEnumerable<(string Method, string Path, JsonObject Operation)> Operations() =>
        from path in Document["paths"]!.AsObject()
        from entry in path.Value!.AsObject()
        where Methods.Contains(entry.Key)
        select (entry.Key.ToUpperInvariant(), path.Key, entry.Value!.AsObject());

    private JsonObject? Operation(string method, string path) => Document["paths"]?[path]?[method.ToLowerInvariant()] as JsonObject;

    /// <summary>A schema with its <c>$ref</c> (to the document's components) followed.</summary>
    private JsonObject Resolve(JsonNode schema)
    {
        var node = schema.AsObject();
        while (node["$ref"] is { } reference)
        {
            var name = ((string)reference!).Split('/').Last();
            node = Document["components"]!["schemas"]![name]?.AsObject() ?? throw new Xunit.Sdk.XunitException($"Dangling $ref {reference}");
        }
        return node;
    }

    [Fact]
    public void Every_api_endpoint_is_documented_with_its_method()
    {
        var endpoints = fixture.Running.Service<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        var checkedRoutes = 0;
        var problems = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var path = "/" + endpoint.RoutePattern.RawText!.TrimStart('/');
            if (!IsApi(path)) continue;
            // An endpoint mapped without methods (Prometheus' /metrics) answers any; it is read with GET.
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            foreach (var method in methods)
            {
                checkedRoutes++;
                var operation = Operation(method, path);
                if (operation is null)
                {
                    problems.Add($"{method} {path} is not in the document");
                    continue;
                }
                if (string.IsNullOrWhiteSpace((string?)operation["summary"])) problems.Add($"{method} {path} has no summary");
                var statuses = operation["responses"]?.AsObject().Select(r => r.Key).ToList() ?? [];
                if (!statuses.Any(s => s.StartsWith('2'))) problems.Add($"{method} {path} documents no success answer");
            }
        }
        Assert.Empty(problems);
        // Accounts (4), the default replyUrl (GET and POST /webhook, POST /account, rotate), eleven commands, jobs (list, cancel, stream),
        // deliveries and redeliver, files, /healthz, /metrics.
        Assert.True(checkedRoutes >= 27, $"only {checkedRoutes} API routes were found");
    }

    [Fact]
    public async Task Every_documented_operation_is_routed_and_documents_its_anonymous_answer()
    {
        using var anonymous = fixture.Anonymous();
        var problems = new List<string>();
        var operations = Operations().ToList();
        Assert.Contains(operations, o => o is { Method: "GET", Path: ApiOperations.SeedPath });
        foreach (var (method, path, operation) in operations)
        {
            Assert.True(IsApi(path), $"{path} is documented but is not an API path");
            var url = Regex.Replace(path, "{[^}]+}", "unknown1");
            using var response = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), url));
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync();
            var statuses = operation["responses"]!.AsObject().Select(r => r.Key).ToList();
            // A route that does not exist answers 404 or 405 with an empty body; the API's own 404s are in its error shape.
            if (status == 405 || (status == 404 && body.Length == 0))
            {
                problems.Add($"{method} {path} is not routed ({status})");
                continue;
            }
            if (!statuses.Contains(status.ToString())) problems.Add($"{method} {path} answers {status} without a token, which it does not document");
            var needsToken = operation["security"] is JsonArray { Count: > 0 };
            if (needsToken != (status == 401)) problems.Add($"{method} {path}: security {(needsToken ? "required" : "absent")} but the anonymous answer is {status}");
            if (status == 401) Assert.Equal("""{"error":"Unauthorized","code":401}""", body);
        }
        Assert.Empty(problems);
    }

    [Fact]
    public void Every_command_documents_its_fields_with_their_limits()
    {
        Assert.Equal(11, CommandSpec.All.Count);
        foreach (var spec in CommandSpec.All)
        {
            var operation = Operation(spec.Method, ApiOperations.Base + spec.Route);
            Assert.NotNull(operation);
            var form = operation["requestBody"]!["content"]!["multipart/form-data"]!["schema"]!.AsObject();
            var required = form["required"]?.AsArray().Select(n => (string)n!).ToHashSet() ?? [];
            Assert.Equal(spec.Required.ToHashSet(), required);
            var properties = form["properties"]!.AsObject();
            foreach (var name in spec.Required.Concat(spec.Optional).Concat(["channel", "replyUrl", "replyRef"]))
            {
                var property = properties[name]?.AsObject();
                Assert.True(property is not null, $"{spec.Route} does not document its field {name}");
                if (spec.Uploads.ContainsKey(name))
                {
                    Assert.Equal("binary", (string?)property["format"]);
                    Assert.NotNull(operation["requestBody"]!["content"]!["multipart/form-data"]!["encoding"]![name]);
                }
                else
                {
                    Assert.Equal(FieldLimits.For(name), (int?)property["maxLength"]);
                }
            }
            Assert.Equal(spec.AcceptsJson, operation["requestBody"]!["content"]!["application/json"] is not null);
            var headers = operation["parameters"]!.AsArray().Where(p => (string?)p!["in"] == "header").Select(p => (string)p!["name"]!).ToList();
            Assert.Contains("Idempotency-Key", headers);
            Assert.Contains("Prefer", headers);

            var badRequests = ErrorTexts(operation, 400);
            foreach (var name in spec.Required) Assert.Contains(Refusal.MissingParam(name).Error, badRequests);
            Assert.Equal(!spec.Verb.IsAsync(), operation["responses"]!["429"] is not null);
            Assert.Equal(spec.Verb.ToWire(), (string?)operation["responses"]!["200"]!["content"]!["application/json"]!["examples"]!.AsObject().Single().Value!["value"]!["verb"]);
        }
    }

    private static List<string> ErrorTexts(JsonObject operation, int status) =>
        operation["responses"]?[status.ToString()]?["content"]?["application/json"]?["examples"]?.AsObject()
            .Select(e => (string)e.Value!["value"]!["error"]!).ToList() ?? [];

    /// <summary>The JSON types a schema allows (<c>type</c> is a name or, in OpenAPI 3.1, a list of names).</summary>
    private static IEnumerable<string> Types(JsonObject schema) => schema["type"] switch
    {
        JsonArray list => list.Select(t => (string)t!),
        JsonValue one => [(string)one!],
        _ => [],
    };

    /// <summary>
    /// Every error answer of every operation has the error shape; its examples, when it has any, carry its status. The
    /// catalogued endpoints (the spec's) give every error answer at least one exact text.
    /// </summary>
    [Fact]
    public void Every_documented_error_has_the_error_shape_and_its_examples_their_status()
    {
        var catalogued = ApiOperations.All(new ServerFacts(1, TimeSpan.FromMinutes(3), TimeSpan.FromDays(31), Errors.Say(400, "unreachable"), null)).Select(d => (d.Method, d.Path)).ToHashSet();
        var examplesSeen = 0;
        foreach (var (method, path, operation) in Operations())
        {
            foreach (var (status, response) in operation["responses"]!.AsObject().Where(r => int.TryParse(r.Key, out var code) && code >= 400))
            {
                var media = response!["content"]?["application/json"];
                Assert.True(media is not null, $"{method} {path} {status} has no JSON body");
                var schema = Resolve(media["schema"]!);
                var properties = schema["properties"]?.AsObject();
                Assert.True(properties is not null, $"{method} {path} {status}: the body is not an object");
                Assert.True(properties["error"] is { } error && Types(Resolve(error)).Contains("string"), $"{method} {path} {status}: no error text");
                Assert.True(properties["code"] is { } code && Types(Resolve(code)).Contains("integer"), $"{method} {path} {status}: no code");
                var examples = media["examples"]?.AsObject() ?? [];
                if (catalogued.Contains((method, path))) Assert.True(examples.Count > 0, $"{method} {path} {status} has no example error text");
                foreach (var (_, example) in examples)
                {
                    examplesSeen++;
                    Assert.Equal(int.Parse(status), (int)example!["value"]!["code"]!);
                    Assert.False(string.IsNullOrWhiteSpace((string?)example["value"]!["error"]), $"{method} {path} {status}: an example without error text");
                }
            }
        }
        Assert.True(examplesSeen > 300, $"only {examplesSeen} error texts are documented");
    }

    private static HttpContent Json(string json) => new StringContent(json, System.Text.Encoding.UTF8, "application/json");

    private static HttpContent Raw(string body, string contentType)
    {
        var content = new StringContent(body);
        content.Headers.Remove("Content-Type");
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    private static MultipartFormDataContent TextFile(string field) => new()
    {
        { new ByteArrayContent("hello"u8.ToArray()) { Headers = { ContentType = new("text/plain") } }, field, "hello.txt" },
    };

    private async Task<HttpResponseMessage> WithHeader(string path, HttpContent body, string header, string value)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body };
        request.Headers.TryAddWithoutValidation(header, value);
        return await fixture.Running.Client.SendAsync(request);
    }

    /// <summary>
    /// Real refusals of the running server, one of each kind the code can give: each body, with the ids of jobs made here
    /// written as the examples write them, must be one of the examples its operation documents.
    /// </summary>
    [Fact]
    public async Task Real_error_answers_are_among_the_documented_examples()
    {
        var client = fixture.Running.Client;
        var (_, expiredToken) = await fixture.Running.AddUserAsync("lapsed", DateTimeOffset.UtcNow.AddDays(-1));
        var (_, newcomerToken) = await fixture.Running.AddUserAsync("newcomer");
        using var lapsed = fixture.Running.CreateClient(expiredToken);
        using var anonymous = fixture.Running.CreateClient(null);
        using var newcomer = fixture.Running.CreateClient(newcomerToken);
        // A user with a Discord channel, whose token and server another channel of theirs may not repeat.
        var (discordUser, discordUserToken) = await fixture.Running.AddUserAsync("discorder");
        await fixture.Running.AddAccountAsync(discordUser.Id, Channel, EngineNames.Discord, DiscordServer, DiscordToken);
        using var discorder = fixture.Running.CreateClient(discordUserToken);
        var sample = JobExamples.JobId;
        var known = JobExamples.Channel; // a channel in the examples, which this server's user does not have
        var done = await client.PostAsync("listid", Forms.Multipart(("channel", Channel)));
        var doneJob = (string)(await done.JsonAsync())["jobid"]!;
        const string Accounts = ApiOperations.Base + "/account/{channel}";
        const string Webhook = ApiOperations.Base + "/webhook";
        const string SaveId = ApiOperations.Base + "/saveid";
        var idempotent = Guid.NewGuid().ToString();
        Assert.Equal(HttpStatusCode.OK, (await WithHeader("listid", Forms.Multipart(("channel", Channel)), "Idempotency-Key", idempotent)).StatusCode);

        var cases = new (string Method, string Path, Func<Task<HttpResponseMessage>> Send)[]
        {
            // The token filter and the seed page.
            ("GET", ApiOperations.SeedPath, () => anonymous.GetAsync($"jobs/?jobid={sample}")),
            ("GET", ApiOperations.SeedPath, () => lapsed.GetAsync($"jobs/?jobid={sample}")),
            ("GET", ApiOperations.SeedPath, () => client.GetAsync("jobs/")),
            ("GET", ApiOperations.SeedPath, () => client.GetAsync($"jobs/?jobid={sample}")),
            // Jobs.
            ("GET", ApiOperations.Base + "/jobs/cancel", () => client.GetAsync($"jobs/cancel/?jobid={sample}")),
            ("GET", ApiOperations.Base + "/jobs/cancel", () => client.GetAsync($"jobs/cancel?jobid={doneJob}")),
            ("GET", ApiOperations.Base + "/jobs/stream", () => client.GetAsync("jobs/stream")),
            ("GET", ApiOperations.Base + "/jobs/deliveries", () => client.GetAsync($"jobs/deliveries?jobid={sample}")),
            ("POST", ApiOperations.Base + "/jobs/redeliver", () => client.PostAsync($"jobs/redeliver?jobid={sample}", null)),
            ("POST", ApiOperations.Base + "/jobs/redeliver", () => client.PostAsync($"jobs/redeliver?jobid={doneJob}", null)),
            // Accounts.
            ("GET", ApiOperations.Base + "/account", () => newcomer.GetAsync("account")),
            ("GET", Accounts, () => client.GetAsync($"account/{known}")),
            ("DELETE", Accounts, () => client.DeleteAsync($"account/{known}")),
            ("POST", Accounts, () => client.PostAsync($"account/{known}", Json("""{"server": "1", "channel": "1"}"""))),
            ("POST", Accounts, () => client.PostAsync($"account/{known}", Json("""{"discord": "t"}"""))),
            ("POST", Accounts, () => client.PostAsync($"account/{known}", Json("""{"discord": "t", "server": "1100000000000000007"}"""))),
            ("POST", Accounts, () => client.PostAsync($"account/{known}", Json("""{"discord": "t", "server": "1100000000000000007", "channel": "12345"}"""))),
            ("POST", Accounts, () => client.PostAsync($"account/{known}", Json("""{"discord": "t", "server": "1100000000000000007", "channel": "1100000000000000002"}"""))),
            ("POST", Accounts, () => client.PostAsync($"account/{known}", Json($$"""{"discord": "t", "server": "abc", "channel": "{{known}}"}"""))),
            ("POST", Accounts, () => discorder.PostAsync($"account/{known}", Json($$"""{"discord": "{{DiscordToken}}", "server": "1100000000000000007", "channel": "{{known}}"}"""))),
            ("POST", Accounts, () => discorder.PostAsync($"account/{known}", Json($$"""{"discord": "t", "server": "{{DiscordServer}}", "channel": "{{known}}"}"""))),
            ("POST", Accounts, () => client.PostAsync("account/my%20channel", Json("""{"engine": "local"}"""))),
            ("POST", Accounts, () => client.PostAsync($"account/{known}", Json("""{"engine": "gpu"}"""))),
            ("POST", Accounts, () => client.PostAsync($"account/{known}", Json("""{"sandbox": 1}"""))),
            ("POST", Accounts, () => client.PostAsync($"account/{known}", Json("""{"sandbox": true}"""))),
            ("POST", Accounts, () => client.PostAsync($"account/{known}", Json($$"""{"discord": "{{new string('t', 257)}}"}"""))),
            ("POST", Accounts, () => client.PostAsync($"account/{known}", Json("""{"discord": "t", "server": true}"""))),
            ("POST", Accounts, () => client.PostAsync($"account/{known}", Json("""{"discord": "a", "discord": "b"}"""))),
            ("POST", Accounts, () => client.PostAsync($"account/{known}", Json($$"""{"discord": "{{new string('t', 70_000)}}"}"""))),
            // The default replyUrl.
            ("POST", Webhook, () => client.PostAsync("webhook", Json("not json"))),
            ("POST", Webhook, () => client.PostAsync("webhook", Json("""{"events": ["started"]}"""))),
            ("POST", Webhook, () => client.PostAsync("webhook", Json("""{"replyUrl": "example.com/hook"}"""))),
            ("POST", Webhook, () => client.PostAsync("webhook", Json("""{"replyUrl": "http://192.168.1.20/hook"}"""))),
            ("POST", Webhook, () => client.PostAsync("webhook", Json("""{"replyUrl": null, "events": "started"}"""))),
            ("POST", Webhook, () => client.PostAsync("webhook", Json("""{"replyUrl": {"a": 1}}"""))),
            ("POST", Webhook, () => client.PostAsync("webhook", Json($$"""{"replyUrl": "https://example.com/{{new string('a', 1100)}}"}"""))),
            ("POST", Webhook, () => client.PostAsync("webhook", Json($$"""{"replyUrl": "https://example.com/{{new string('a', 70_000)}}"}"""))),
            // Commands.
            ("POST", SaveId, () => client.PostAsync("saveid", Forms.Multipart(("image", Forms.Png)))),
            ("POST", SaveId, () => client.PostAsync("saveid", Forms.Multipart(("idname", "me"), ("image", Forms.Png), ("channel", known)))),
            ("POST", SaveId, () => client.PostAsync("saveid", Forms.Multipart(("idname", "me"), ("image", Forms.Png)))),
            ("POST", SaveId, () => client.PostAsync("saveid", Forms.Multipart(("idname", "me, you"), ("image", Forms.Png), ("channel", Channel)))),
            ("POST", SaveId, () => client.PostAsync("saveid", Forms.Multipart(("idname", "me"), ("image", Forms.Png), ("channel", Channel), ("replyUrl", "ftp://example.com/hook")))),
            ("POST", SaveId, () => client.PostAsync("saveid", Forms.Multipart(("idname", "me"), ("image", Forms.Png), ("channel", Channel), ("replyUrl", "http://192.168.1.20/hook")))),
            ("POST", SaveId, () => client.PostAsync("saveid", Forms.Multipart(("idname", "me"), ("image", Forms.Png), ("channel", Channel), ("replyRef", new string('r', 1025))))),
            ("POST", SaveId, () => client.PostAsync("saveid", Forms.Multipart(("idname", "me"), ("channel", Channel), ("channel", Channel)))),
            ("POST", SaveId, () => client.PostAsync("saveid", Forms.Multipart(Enumerable.Range(0, 33).Select(i => ($"f{i}", (object)"x")).ToArray()))),
            ("POST", SaveId, () => client.PostAsync("saveid", Forms.Multipart((new string('f', 65), "x")))),
            ("POST", SaveId, () => client.PostAsync("saveid", Raw(new string('x', 600), "multipart/form-data"))),
            ("POST", SaveId, () => client.PostAsync("saveid", Raw("--x--", "multipart/mixed; boundary=x"))),
            ("POST", SaveId, () => client.PostAsync("saveid", TextFile("image"))),
            ("POST", SaveId, () => client.PostAsync("saveid", Forms.Multipart(("idname", "me"), ("image", new byte[MaxFileBytes + 1])))),
            ("POST", SaveId, () => WithHeader("saveid", Forms.Multipart(("idname", "me"), ("image", Forms.Png)), "Idempotency-Key", "not valid")),
            ("POST", ApiOperations.Base + "/listid", () => WithHeader("listid", Forms.Multipart(("channel", EngineNames.Local)), "Idempotency-Key", idempotent)),
            ("POST", ApiOperations.Base + "/setid", () => client.PostAsync("setid", Forms.Multipart(("idname", "me, you"), ("channel", Channel)))),
            ("POST", ApiOperations.Base + "/picsi", () => client.PostAsync("picsi", Forms.Multipart(("source_image", Forms.Png)))),
            ("POST", ApiOperations.Base + "/picsi", () => client.PostAsync("picsi", TextFile("target_image_gif_or_video"))),
            ("POST", ApiOperations.Base + "/swap", () => client.PostAsync("swap", Forms.Multipart(("saveid_image", Forms.Png), ("swapid_image", Forms.Png), ("saveid_idname", "my face")))),
            ("POST", ApiOperations.Base + "/headshot", () => client.PostAsync("headshot", Json("""{"prompt": 42}"""))),
            ("POST", ApiOperations.Base + "/headshot", () => client.PostAsync("headshot", Json("[1]"))),
            ("POST", ApiOperations.Base + "/headshot", () => client.PostAsync("headshot", Json($$"""{"prompt": "{{new string('p', 70_000)}}"}"""))),
            ("POST", ApiOperations.Base + "/headshot", () => client.PostAsync("headshot", Forms.Multipart(("prompt", "me, an astronaut"), ("channel", EngineNames.Local)))),
            ("POST", ApiOperations.Base + "/changebg", () => client.PostAsync("changebg",
                Forms.Multipart(("a_background_photo_of", "a beach"), ("image", Forms.Png), ("channel", EngineNames.Local)))),
            // Files.
            ("GET", ApiOperations.Base + "/files/{attachmentId}/{fileName}", () => anonymous.GetAsync("files/q3kz7m2x9c4v8b1n5t6y0w/result.png")),
        };
        var problems = new List<string>();
        foreach (var (method, path, send) in cases)
        {
            using var response = await send();
            var status = (int)response.StatusCode;
            var body = (await response.Content.ReadAsStringAsync()).Replace(doneJob, sample);
            var documented = Operation(method, path)?["responses"]?[status.ToString()]?["content"]?["application/json"]?["examples"]?.AsObject()
                .Select(e => e.Value!["value"]!.ToJsonString(JobView.WireJson)).ToList() ?? [];
            if (status < 400) problems.Add($"{method} {path} answered {status}");
            else if (!documented.Contains(JsonNode.Parse(body)!.ToJsonString(JobView.WireJson))) problems.Add($"{method} {path} answered {status} {body}, which is not among its documented examples");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>The seed page's example has exactly the fields, in the order, that the server writes for a real job of its kind.</summary>
    [Fact]
    public async Task The_seed_example_has_the_shape_of_a_real_job()
    {
        var seed = Operation("GET", ApiOperations.SeedPath)!["responses"]!["200"]!["content"]!["application/json"]!["examples"]!["seed"]!["value"]!.AsObject();
        Assert.Equal(JobExamples.Seed().ToJsonString(), seed.ToJsonString());

        var submitted = await fixture.Running.Client.PostAsync("headshot", Forms.Multipart(("prompt", "me, a mad king"), ("channel", Channel)));
        Assert.Equal(HttpStatusCode.OK, submitted.StatusCode);
        var jobId = (string)(await submitted.JsonAsync())["jobid"]!;
        var request = new HttpRequestMessage(HttpMethod.Get, $"jobs/?jobid={jobId}");
        request.Headers.TryAddWithoutValidation("Prefer", "wait=60");
        var job = await (await fixture.Running.Client.SendAsync(request)).JsonAsync();
        Assert.Equal("completed", (string?)job["status"]);

        Assert.Equal(seed.Select(p => p.Key), job.Select(p => p.Key));
        Assert.Equal(seed["attachments"]![0]!.AsObject().Select(p => p.Key), job["attachments"]![0]!.AsObject().Select(p => p.Key));
        var jobSchema = Resolve(Document["components"]!["schemas"]![WireSchemas.Job]!);
        var attachmentSchema = Resolve(jobSchema["properties"]!["attachments"]!["items"]!);
        Assert.Equal(job.Select(p => p.Key).Order(), job.Select(p => p.Key).Where(k => jobSchema["properties"]![k] is not null).Order());
        Assert.All(job["attachments"]![0]!.AsObject(), p => Assert.NotNull(attachmentSchema["properties"]![p.Key]));
        AssertShape(job, jobSchema, "GET /jobs/?jobid=");
    }

    /// <summary>The Job schema lists every field the renderer can write, in its order, and no other.</summary>
    [Fact]
    public void The_job_schema_is_the_renderers_fields()
    {
        var time = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var file = new InputFile(1, "image/png", "blob", "a.png");
        var everything = new Job
        {
            Id = "j", UserId = 1, Verb = Verb.Swap, Status = JobStatus.Failed, Created = time, Updated = time, Channel = "c", Server = "s",
            DiscordMasked = "abc…secured…xyz", ParentJobId = "p", ReplyUrl = "https://example.com/hook", ReplyRef = "r", Error = "e", ErrorDetails = "d",
            Fields = new[] { "prompt", "a_background_photo_of", "options", "idname", "saveid_idname", "swapid_idname", "targetMessageId" }.ToDictionary(n => n, n => "x"),
            Files = new[] { "image", "source_image", "target_image_gif_or_video", "saveid_image", "swapid_image" }.ToDictionary(n => n, _ => file),
            Upstream = new UpstreamMessage("m", "content", "2024-01-02T03:04:05.000000+00:00", """[{"type":"rich","description":"d"}]"""),
            Attachments = [new Attachment("a", "image/png", "r.png", 1, 1, 1, "blob")],
        };
        var rendered = JobView.Render(everything, "http://localhost");
        var schema = Resolve(Document["components"]!["schemas"]![WireSchemas.Job]!);
        Assert.Equal(rendered.Select(p => p.Key), schema["properties"]!.AsObject().Select(p => p.Key));
        Assert.Equal(rendered["attachments"]![0]!.AsObject().Select(p => p.Key),
            Resolve(schema["properties"]!["attachments"]!["items"]!)["properties"]!.AsObject().Select(p => p.Key));
        Assert.Equal(Enum.GetValues<JobStatus>().Select(s => s.ToWire()), schema["properties"]!["status"]!["enum"]!.AsArray().Select(v => (string)v!));
    }

    /// <summary>Every field of a real channel list (a Discord-style channel and a local one, with its capabilities) is in the Account schema.</summary>
    [Fact]
    public async Task The_account_schema_has_every_field_real_channels_show()
    {
        var accounts = await (await fixture.Running.Client.GetAsync("account")).JsonAsync();
        Assert.Equal([Channel, EngineNames.Local], accounts.Select(a => a.Key).Order());
        var schema = Resolve(Document["components"]!["schemas"]![WireSchemas.Account]!);
        var properties = schema["properties"]!.AsObject();
        foreach (var (channel, account) in accounts)
        {
            foreach (var (name, value) in account!.AsObject())
            {
                Assert.True(properties[name] is not null, $"{channel}: field {name} is not in the Account schema");
                // (engine is left out: this server's Discord-style channel runs the tests' gated engine.)
                if (name != "engine" && Resolve(properties[name]!)["enum"] is JsonArray values) Assert.Contains((string)value!, values.Select(v => (string)v!));
            }
        }
        var capabilities = accounts[EngineNames.Local]!["capabilities"]!.AsObject();
        var documented = Resolve(properties["capabilities"]!)["properties"]!.AsObject();
        Assert.All(capabilities, field => Assert.True(documented[field.Key] is not null, $"capabilities.{field.Key} is not documented"));
        var model = Resolve(documented["models"]!["items"]!)["properties"]!.AsObject();
        Assert.All(capabilities["models"]!.AsArray().SelectMany(m => m!.AsObject()), field => Assert.NotNull(model[field.Key]));
    }

    /// <summary>Every field <paramref name="value"/> has is in <paramref name="schema"/> (followed into objects and arrays), and enumerated values are among its values.</summary>
    private void AssertShape(JsonNode? value, JsonNode schemaNode, string where)
    {
        var schema = Resolve(schemaNode);
        switch (value)
        {
            case JsonObject obj:
                foreach (var (name, field) in obj)
                {
                    if (schema["properties"]?[name] is { } property) AssertShape(field, property, $"{where}.{name}");
                    else Assert.True(schema["additionalProperties"] is JsonObject or JsonValue, $"{where}.{name} is not documented");
                }
                break;
            case JsonArray array:
                foreach (var item in array) AssertShape(item, schema["items"]!, $"{where}[]");
                break;
            case JsonValue scalar when schema["enum"] is JsonArray values:
                Assert.True(values.Any(v => JsonNode.DeepEquals(v, scalar)), $"{where} = {scalar.ToJsonString()} is not among its documented values");
                break;
        }
    }

    private JsonNode Schema(string name) => Document["components"]!["schemas"]![name]!;

    /// <summary>Real answers of the webhook settings, the delivery log, redelivery, the job list and /healthz have the documented shapes.</summary>
    [Fact]
    public async Task Real_answers_have_the_documented_shapes()
    {
        // A user of their own, so that their default replyUrl touches no other test's jobs.
        var (user, token) = await fixture.Running.AddUserAsync("shapes");
        await fixture.Running.AddAccountAsync(user.Id, "1100000000000000004", GatedEngine.DefaultName);
        using var client = fixture.Running.CreateClient(token);
        var saved = await client.PostAsync("webhook", Json("""{"replyUrl": "http://127.0.0.1:9/hook", "events": ["started", "progress"]}"""));
        Assert.Equal(HttpStatusCode.NoContent, saved.StatusCode);
        AssertShape(await (await client.GetAsync("webhook")).JsonAsync(), Schema(WireSchemas.WebhookSettings), "GET /webhook");
        var rotated = await (await client.PostAsync("webhook/rotate", null)).JsonAsync();
        Assert.NotNull(rotated["previousSecret"]);
        AssertShape(rotated, Schema(WireSchemas.WebhookSettings), "POST /webhook/rotate");

        var job = await (await client.PostAsync("listid", Forms.Multipart())).JsonAsync();
        Assert.Equal("completed", (string?)job["status"]);
        AssertShape(job, Schema(WireSchemas.Job), "POST /listid");
        var jobId = (string)job["jobid"]!;
        var redelivered = await client.PostAsync($"jobs/redeliver?jobid={jobId}", null);
        Assert.Equal(HttpStatusCode.Accepted, redelivered.StatusCode);
        AssertShape(await redelivered.JsonAsync(), Schema(WireSchemas.Redelivery), "POST /jobs/redeliver");
        // The receiver refuses connections: wait (generously) until attempts are logged.
        JsonArray deliveries = [];
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            deliveries = JsonNode.Parse(await client.GetStringAsync($"jobs/deliveries?jobid={jobId}"))!.AsArray();
            if (deliveries.Count > 0 && deliveries.All(d => d!["attempts"]!.AsArray().Count > 0)) break;
        }
        Assert.NotEmpty(deliveries);
        Assert.All(deliveries, d => Assert.NotEmpty(d!["attempts"]!.AsArray()));
        foreach (var delivery in deliveries) AssertShape(delivery, Schema(WireSchemas.Delivery), "GET /jobs/deliveries");

        AssertShape(JsonNode.Parse(await client.GetStringAsync("jobs")), Schema(WireSchemas.JobIds), "GET /jobs");
        using var anonymous = fixture.Anonymous();
        AssertShape(JsonNode.Parse(await anonymous.GetStringAsync("/healthz")), Schema(WireSchemas.Health), "GET /healthz");
    }

    [Fact]
    public async Task The_docs_ui_is_served_by_this_server_and_reads_the_document()
    {
        using var anonymous = fixture.Anonymous();
        var page = await anonymous.GetAsync(ApiDocs.UiPath);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains(ApiDocs.DocumentPath.TrimStart('/'), html);
        Assert.Contains("\"withDefaultFonts\":false", html);
        var scripts = Regex.Matches(html, "<script[^>]*\\ssrc=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(scripts);
        foreach (var script in scripts)
        {
            // The UI must work without internet access: every script comes from this server.
            Assert.DoesNotContain("//", script);
            var asset = await anonymous.GetAsync(new Uri(page.RequestMessage!.RequestUri!, script));
            Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
            Assert.True((await asset.Content.ReadAsByteArrayAsync()).Length > 1000, $"{script} is empty");
        }
    }

    /// <summary>
    /// The docs UI is where users type their token: like the dashboard, it may load, connect to and be framed by
    /// nothing but this server, and runs no inline script but the one its page carries (allowed by its hash).
    /// </summary>
    [Theory]
    [InlineData("/")]
    [InlineData("/v1")]
    public async Task The_docs_ui_sends_a_content_security_policy_that_allows_only_its_own_inline_script(string page)
    {
        using var anonymous = fixture.Anonymous();
        var response = await anonymous.GetAsync(ApiDocs.UiPath + page);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        var directives = policy.Split(';', StringSplitOptions.TrimEntries).ToDictionary(d => d.Split(' ')[0], d => d.Split(' ').Skip(1).ToList());
        Assert.Equal(["'none'"], directives["default-src"]);
        Assert.Equal(["'none'"], directives["frame-ancestors"]);
        Assert.Equal(["'self'"], directives["connect-src"]);
        var inline = Regex.Matches(html, "<script(?![^>]*\\ssrc=)[^>]*>(.*?)</script>", RegexOptions.Singleline)
            .Select(m => $"'sha256-{Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(m.Groups[1].Value)))}'");
        Assert.Equal(["'self'", .. inline], directives["script-src"]);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));

        var script = await anonymous.GetAsync(ApiDocs.UiPath + "/scalar.js");
        Assert.Equal("nosniff", Assert.Single(script.Headers.GetValues("X-Content-Type-Options")));
    }

    /// <summary>
    /// The page in a real browser, with every host but this server's unresolvable: Scalar's script, the document and the
    /// rendered reference all come from here (what the page shows of the API is only in the document).
    /// </summary>
    [SkippableFact]
    public async Task The_docs_ui_renders_the_document_in_a_browser_that_reaches_only_this_server()
    {
        const string Chromium = "/usr/bin/chromium";
        Skip.IfNot(File.Exists(Chromium), $"{Chromium} is not installed (Debian's chromium package)");
        var profile = Directory.CreateTempSubdirectory("faceswap-docs-ui-");
        try
        {
            var start = new ProcessStartInfo(Chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
            string[] arguments =
            [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", $"--user-data-dir={profile.FullName}",
                $"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {fixture.Running.BaseUrl.Host}",
                // Virtual time runs only while nothing loads: the page gets its script and the document, then 30 s of its own time.
                // The page's console on stderr: a script or style its policy refused would be reported there.
                "--enable-logging=stderr", "--v=0",
                "--virtual-time-budget=30000", "--dump-dom", new Uri(fixture.Running.BaseUrl, ApiDocs.UiPath + "/").ToString(),
            ];
            foreach (var argument in arguments) start.ArgumentList.Add(argument);
            using var browser = Process.Start(start)!;
            var dom = browser.StandardOutput.ReadToEndAsync();
            var log = browser.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await browser.WaitForExitAsync(timeout.Token);
            var page = await dom;
            Assert.True(page.Contains("List your channels") && page.Contains("Create or update a channel"),
                $"The reference did not render the document. Browser log:\n{await log}");
            Assert.DoesNotContain("Content Security Policy", await log);
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }
}
