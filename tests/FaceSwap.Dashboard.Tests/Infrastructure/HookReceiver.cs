using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FaceSwap.Dashboard.Tests.Infrastructure;

/// <summary>A real HTTP receiver of replyUrl calls on loopback: answers 200 and keeps each webhook-id it got.</summary>
public sealed class HookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HookReceiver(WebApplication app, Uri baseUrl)
    {
        _app = app;
        Url = new Uri(baseUrl, "/hook").ToString();
    }

    public string Url { get; }
    public ConcurrentQueue<string> WebhookIds { get; } = new();

    public static async Task<HookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        HookReceiver? receiver = null;
        app.MapPost("/hook", (HttpContext http) =>
        {
            receiver!.WebhookIds.Enqueue(http.Request.Headers["webhook-id"].ToString());
            return Results.Ok();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver = new HookReceiver(app, new Uri(address));
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
