using System.CommandLine;
using System.Net;
using System.Text.RegularExpressions;
using FaceSwap.Server.Cli;
using FaceSwap.Server.Tests.Infrastructure;

namespace FaceSwap.Server.Tests;

/// <summary>The operator's command line (<c>users add|list|token|revoke|expire</c>) against a running server's database.</summary>
public sealed class UsersCommandTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var root = new RootCommand { UsersCommand.Create(_server.CliUserStore, output) };
        var exit = await root.Parse(args).InvokeAsync();
        return (exit, output.ToString());
    }

    private static string TokenIn(string output) => Regex.Match(output, "fs_[A-Za-z0-9_-]{43}").Value;

    [Fact]
    public async Task Add_prints_a_working_token_once_and_list_never_shows_it()
    {
        var (exit, output) = await RunAsync("users", "add", "carol");
        Assert.Equal(0, exit);
        var token = TokenIn(output);
        Assert.NotEmpty(token);
        using var client = _server.CreateClient(token);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("account")).StatusCode);

        var (_, list) = await RunAsync("users", "list");
        Assert.Contains("carol", list);
        Assert.DoesNotContain(token, list);
        Assert.Equal(1, (await RunAsync("users", "add", "carol")).Exit);
    }

    [Fact]
    public async Task Revoke_and_expire_turn_calls_into_402_and_back()
    {
        var token = TokenIn((await RunAsync("users", "add", "dave", "--expires", "2099-01-01")).Output);
        using var client = _server.CreateClient(token);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("account")).StatusCode);

        Assert.Equal(0, (await RunAsync("users", "expire", "dave", "2020-01-01")).Exit);
        Assert.Equal(HttpStatusCode.PaymentRequired, (await client.GetAsync("account")).StatusCode);
        Assert.Equal(0, (await RunAsync("users", "expire", "dave", "never")).Exit);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("account")).StatusCode);

        Assert.Equal(0, (await RunAsync("users", "revoke", "dave")).Exit);
        Assert.Equal(HttpStatusCode.PaymentRequired, (await client.GetAsync("account")).StatusCode);
        var fresh = TokenIn((await RunAsync("users", "token", "dave")).Output);
        using var renewed = _server.CreateClient(fresh);
        Assert.Equal(HttpStatusCode.NotFound, (await renewed.GetAsync("account")).StatusCode);
    }
}
