using System.Text.Encodings.Web;
using FaceSwap.Core;
using FaceSwap.Core.Accounts;
using FaceSwap.Core.Intake;
using FaceSwap.Core.Webhooks;
using FaceSwap.Core.Jobs;
using FaceSwap.Server.Apis;
using FaceSwap.Server.Auth;
using FaceSwap.Server.Dashboard;
using FaceSwap.Server.OpenApi;
using FaceSwap.Server.Webhooks;
using FaceSwap.Server.Wire;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.Features;
using Prometheus;

namespace FaceSwap.Server.Hosting;

/// <summary>Builds the whole server: configuration, stores, engines, the API, and the bootstrap user.</summary>
public static class ServerHost
{
    public const string DefaultUrl = "http://localhost:5080";

    public static string DataDir(IConfiguration configuration) =>
        Path.GetFullPath(configuration[$"{ServerOptions.Section}:DataDir"] ?? "data");

    public static async Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (string.IsNullOrEmpty(builder.Configuration["urls"])) builder.WebHost.UseUrls(DefaultUrl);
        configure?.Invoke(builder);

        var dataDir = DataDir(builder.Configuration);
        Directory.CreateDirectory(dataDir);
        var services = builder.Services;
        services.Configure<ServerOptions>(builder.Configuration.GetSection(ServerOptions.Section));
        services.Configure<UploadOptions>(builder.Configuration.GetSection(UploadOptions.Section));
        services.Configure<AuthOptions>(builder.Configuration.GetSection(AuthOptions.Section));
        var maxFileBytes = builder.Configuration.GetSection(UploadOptions.Section).Get<UploadOptions>()?.MaxFileBytes ?? new UploadOptions().MaxFileBytes;
        services.Configure<FormOptions>(form => CommandRequest.ConfigureLimits(form, maxFileBytes));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = 3 * maxFileBytes + 2 * 1024 * 1024);

        services.AddDataProtection()
            .SetApplicationName("FaceSwap")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDir, "keys")));
        services.AddFaceSwapCore(builder.Configuration, dataDir);
        // '+' in upstream timestamps stays '+' (the default encoder would write \u002B); bodies are JSON, not HTML.
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
        services.AddSingleton<BearerTokenFilter>();
        services.AddSingleton<TokenCache>();
        services.AddSingleton<JobRetention>();
        services.AddSingleton<FinishedJobCache>();
        services.AddSingleton<AccountCapabilities>();
        services.AddSingleton<Bootstrap>();
        services.Configure<WebhookOptions>(builder.Configuration.GetSection(WebhookOptions.Section));
        services.AddSingleton<WebhookSecrets>();
        services.AddSingleton<WebhookDeliverer>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDeliverer>());
        services.AddSingleton<IReplyUrlGuard, ReplyUrlGuard>();
        services.AddCommandIntake();
        await EngineHosting.AddEnginesAsync(builder);
        services.AddApiDocs();
        services.AddHostedService<JobMetrics>();

        var app = builder.Build();
        app.Services.GetService<Local.LocalBotImageRenderer>()?.Attach(app.Services.GetRequiredService<FaceSwap.Local.LocalFaceSwapper>());
        await app.Services.GetRequiredService<Bootstrap>().RunAsync(CancellationToken.None);

        // Operator surface: liveness, Prometheus metrics, the OpenAPI document (/openapi/v1.json) and its UI (/docs).
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = ApiFailures.WriteAsync });
        app.UseStatusCodePages(ApiStatusPages.WriteAsync);
        app.UseHttpMetrics();
        app.UseDocsPagePolicy();
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" }));
        app.MapMetrics("/metrics");
        app.MapApiDocs();
        app.MapFilesApi();
        app.MapDashboard();
        var api = app.MapGroup(ApiStatusPages.ApiPath).AddEndpointFilter<BearerTokenFilter>().WithMetadata(BearerTokenRequired.Instance);
        api.MapAccountsApi();
        api.MapCommandsApi();
        api.MapJobsApi();
        api.MapWebhooksApi();
        api.MapDashboardApi();
        return app;
    }
}
