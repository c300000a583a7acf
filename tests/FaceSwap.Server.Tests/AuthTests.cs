using System.Net;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Users;
using FaceSwap.Server.Tests.Infrastructure;

namespace FaceSwap.Server.Tests;

public sealed class AuthTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-known-token")]
    public async Task Unknown_or_missing_token_is_401_exactly(string? token)
    {
        using var client = _server.CreateClient(token);
        var response = await client.GetAsync("jobs/?jobid=abc");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("""{"error":"Unauthorized","code":401}""", await response.BodyAsync());
    }

    [Fact]
    public async Task Malformed_authorization_header_is_401()
    {
        using var client = _server.CreateClient(null);
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Basic abc");
        var response = await client.GetAsync("account");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Expired_subscription_is_402_exactly()
    {
        var (_, token) = await _server.AddUserAsync("lapsed", DateTimeOffset.UtcNow.AddMinutes(-1));
        using var client = _server.CreateClient(token);
        var response = await client.GetAsync("jobs/?jobid=abc");
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        Assert.Equal("""{"error":"Account has no subscription or subscription expired","code":402}""", await response.BodyAsync());
    }

    [Fact]
    public async Task Revoked_token_is_402_and_a_future_expiry_still_works()
    {
        var (user, token) = await _server.AddUserAsync("soon", DateTimeOffset.UtcNow.AddDays(1));
        using var client = _server.CreateClient(token);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("account")).StatusCode);
        await _server.Service<IUserStore>().RevokeTokensAsync(user.Id, CancellationToken.None);
        Assert.Equal(HttpStatusCode.PaymentRequired, (await client.GetAsync("account")).StatusCode);
    }

    [Fact]
    public async Task Tokens_are_stored_hashed_never_in_clear()
    {
        var (_, token) = await _server.AddUserAsync("hashed");
        await _server.App.StopAsync();
        var stored = await _server.StoredTextAsync();
        Assert.Contains(ApiTokens.Hash(token), stored);
        Assert.DoesNotContain(token, stored);
        Assert.DoesNotContain(RunningServer.Token, stored);
    }
}
