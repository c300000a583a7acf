using System.Net;
using FaceSwap.Core.Engines;
using FaceSwap.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FaceSwap.Server.Tests;

public sealed class IdempotencyTests : IAsyncLifetime
{
    private const string Channel = "1100000000000000001";
    private readonly GatedEngine _engine = new();
    private RunningServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(services: services => services.AddSingleton<IEngine>(_engine));
        await _server.AddAccountAsync(await _server.BootstrapUserIdAsync(), Channel, GatedEngine.DefaultName);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<HttpResponseMessage> PostAsync(string key, string idname, HttpClient? client = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "saveid") { Content = Forms.Multipart(("idname", idname), ("image", Forms.Png)) };
        request.Headers.Add("Idempotency-Key", key);
        return (client ?? _server.Client).SendAsync(request);
    }

    [Fact]
    public async Task A_repeat_returns_the_first_job_without_running_again()
    {
        _engine.AutoComplete = true;
        var first = await (await PostAsync("key-1", "me")).JsonAsync();
        var repeat = await PostAsync("key-1", "me");
        Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
        Assert.Equal((string?)first["jobid"], (string?)(await repeat.JsonAsync())["jobid"]);
        Assert.Single(_engine.Runs);
    }

    [Fact]
    public async Task The_same_key_with_another_body_is_422()
    {
        _engine.AutoComplete = true;
        await PostAsync("key-2", "me");
        var other = await PostAsync("key-2", "you");
        Assert.Equal((HttpStatusCode)422, other.StatusCode);
        Assert.Equal(422, (int?)(await other.JsonAsync())["code"]);
        Assert.Single(_engine.Runs);
    }

    [Fact]
    public async Task Racing_identical_requests_run_the_command_once()
    {
        var racers = Enumerable.Range(0, 5).Select(_ => PostAsync("key-3", "me")).ToList();
        for (var i = 0; i < 600 && _engine.Runs.IsEmpty; i++) await Task.Delay(50);
        for (var i = 0; i < 600 && racers.Count(r => r.IsCompleted) < 4; i++) await Task.Delay(50);
        var early = racers.Where(r => r.IsCompleted).Select(r => r.Result).ToList();
        Assert.Equal(4, early.Count);
        Assert.All(early, r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        _engine.Open(_engine.Runs.Single());
        var winner = await Task.WhenAll(racers);
        Assert.Single(winner, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Single(_engine.Runs);
        // Once it has finished, a repeat replays it.
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("key-3", "me")).StatusCode);
        Assert.Single(_engine.Runs);
    }

    [Fact]
    public async Task Keys_are_scoped_per_user_and_a_refused_request_frees_its_key()
    {
        _engine.AutoComplete = true;
        var (_, token) = await _server.AddUserAsync("other");
        using var other = _server.CreateClient(token);
        await _server.AddAccountAsync((await _server.Service<FaceSwap.Core.Storage.IUserStore>().FindUserAsync("other", CancellationToken.None))!.Id, "1100000000000000009", GatedEngine.DefaultName);
        var mine = await (await PostAsync("shared-key", "me")).JsonAsync();
        var theirs = await (await PostAsync("shared-key", "me", other)).JsonAsync();
        Assert.NotEqual((string?)mine["jobid"], (string?)theirs["jobid"]);

        var badRequest = new HttpRequestMessage(HttpMethod.Post, "saveid") { Content = Forms.Multipart(("idname", "me"), ("channel", "1100000000000000077"), ("image", Forms.Png)) };
        badRequest.Headers.Add("Idempotency-Key", "key-4");
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Client.SendAsync(badRequest)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("key-4", "me")).StatusCode);
    }

    [Fact]
    public async Task A_malformed_key_is_400()
    {
        var response = await PostAsync(new string('k', 300), "me");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
