using System.Net.Http.Headers;
using FaceSwap.Core.Accounts;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Users;
using FaceSwap.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FaceSwap.Server.Tests.Infrastructure;

/// <summary>The real server on a real loopback port, with its own data folder.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    public const string Token = "test-bootstrap-token-0123456789";

    private RunningServer(WebApplication app, string dataDir, Uri baseUrl)
    {
        App = app;
        DataDir = dataDir;
        BaseUrl = baseUrl;
        Client = CreateClient(Token);
    }

    public WebApplication App { get; }
    public string DataDir { get; }
    public Uri BaseUrl { get; }
    public HttpClient Client { get; }

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public static async Task<RunningServer> StartAsync(
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null,
        string? dataDir = null)
    {
        dataDir ??= Path.Combine(Path.GetTempPath(), "faceswap-tests", Guid.NewGuid().ToString("N"));
        var args = new List<string> { "--urls", "http://127.0.0.1:0", $"--FaceSwap:DataDir={dataDir}", $"--FaceSwap:Auth:BootstrapToken={Token}", "--FaceSwap:Sandbox:Enabled=false", "--FaceSwap:Local:BootstrapChannel=false" };
        var app = await ServerHost.BuildAsync(args.ToArray(), builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
            services?.Invoke(builder.Services);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RunningServer(app, dataDir, new Uri(address));
    }

    public HttpClient CreateClient(string? token)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl, "/v1/faceswap/"), Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task<long> BootstrapUserIdAsync() =>
        (await Service<IUserStore>().FindByTokenHashAsync(ApiTokens.Hash(Token), CancellationToken.None))!.Value.User.Id;

    /// <summary>A second user with their own token, to check isolation and subscriptions.</summary>
    public async Task<(User User, string Token)> AddUserAsync(string name, DateTimeOffset? expires = null)
    {
        var store = Service<IUserStore>();
        var user = await store.AddUserAsync(name, expires, CancellationToken.None);
        var token = ApiTokens.Generate();
        await store.AddTokenAsync(user.Id, ApiTokens.Hash(token), ApiTokens.Hint(token), CancellationToken.None);
        return (user, token);
    }

    public Task AddAccountAsync(long userId, string channel, string engine, string? server = null, string? discordToken = null) =>
        Service<IAccountStore>().UpsertAsync(new Account
        {
            UserId = userId, Channel = channel, Engine = engine, Server = server, DiscordToken = discordToken, Created = DateTimeOffset.UtcNow,
        }, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
