using System.Net;
using System.Text.Json.Nodes;
using FaceSwap.Core.Engines;
using FaceSwap.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FaceSwap.Server.Tests;

/// <summary>/healthz, /metrics (Prometheus) and the OpenAPI document.</summary>
public sealed class OperatorSurfaceTests : IAsyncLifetime
{
    private readonly GatedEngine _engine = new() { AutoComplete = true };
    private RunningServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(services: services => services.AddSingleton<IEngine>(_engine));
        await _server.AddAccountAsync(await _server.BootstrapUserIdAsync(), "1100000000000000001", GatedEngine.DefaultName);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Metrics_count_job_transitions_by_verb_and_status()
    {
        await _server.Client.PostAsync("listid", Forms.Multipart());
        using var anonymous = new HttpClient { BaseAddress = _server.BaseUrl };
        var metrics = await anonymous.GetStringAsync("/metrics");
        Assert.Contains("faceswap_job_transitions_total{verb=\"faceswap-listid\",status=\"completed\"}", metrics);
        Assert.Contains("http_requests_received_total", metrics);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task The_openapi_document_lists_the_api()
    {
        using var anonymous = new HttpClient { BaseAddress = _server.BaseUrl };
        var document = JsonNode.Parse(await anonymous.GetStringAsync("/openapi/v1.json"))!;
        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Contains("/v1/faceswap/jobs", paths);
        Assert.Contains("/v1/faceswap/saveid", paths);
        Assert.Contains("/v1/faceswap/account/{channel}", paths);
    }
}
