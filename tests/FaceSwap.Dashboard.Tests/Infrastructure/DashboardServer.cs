using System.Net.Http.Headers;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Users;
using FaceSwap.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FaceSwap.Dashboard.Tests.Infrastructure;

/// <summary>The real server on a loopback port with its own data folder (as the server tests start it).</summary>
public sealed class DashboardServer : IAsyncDisposable
{
    public const string Token = "dashboard-bootstrap-token-0123456789";

    private DashboardServer(WebApplication app, Uri baseUrl)
    {
        App = app;
        BaseUrl = baseUrl;
        Client = CreateClient(Token);
    }

    public WebApplication App { get; }
    public Uri BaseUrl { get; }
    public HttpClient Client { get; }

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public static async Task<DashboardServer> StartAsync(IDictionary<string, string?> settings)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "faceswap-dashboard-tests", Guid.NewGuid().ToString("N"));
        string[] args = ["--urls", "http://127.0.0.1:0", $"--FaceSwap:DataDir={dataDir}", $"--FaceSwap:Auth:BootstrapToken={Token}"];
        var app = await ServerHost.BuildAsync(args, builder => builder.Configuration.AddInMemoryCollection(settings));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new DashboardServer(app, new Uri(address));
    }

    public HttpClient CreateClient(string? token)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl, "/v1/faceswap/"), Timeout = TimeSpan.FromSeconds(120) };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task<long> BootstrapUserIdAsync() =>
        (await Service<IUserStore>().FindByTokenHashAsync(ApiTokens.Hash(Token), CancellationToken.None))!.Value.User.Id;

    public async Task<(User User, string Token)> AddUserAsync(string name)
    {
        var store = Service<IUserStore>();
        var user = await store.AddUserAsync(name, null, CancellationToken.None);
        var token = ApiTokens.Generate();
        await store.AddTokenAsync(user.Id, ApiTokens.Hash(token), ApiTokens.Hint(token), CancellationToken.None);
        return (user, token);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
