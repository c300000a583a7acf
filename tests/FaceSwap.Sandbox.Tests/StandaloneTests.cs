using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace FaceSwap.Sandbox.Tests;

public sealed partial class StandaloneTests
{
    [Fact]
    public async Task Standalone_sandbox_on_port_0_listens_on_a_free_port_it_prints_with_the_given_account()
    {
        using var stop = new CancellationTokenSource();
        var output = new WrittenLines();
        // Port 0: the sandbox binds a free port itself and prints it (a port picked here and bound later could be taken meanwhile).
        var run = SandboxServer.RunStandaloneAsync(
            ["--port", "0", "--token", "standalone-token", "--guild", "1600000000000000001", "--channel", "1600000000000000002", "--reply-delay", "0.01"],
            output, stop.Token);
        var api = await output.WaitForAsync(ApiLine(), run, TimeSpan.FromSeconds(60));
        var user = await output.WaitForAsync(AccountLine(), run, TimeSpan.FromSeconds(60));
        // The port it was given, 0 (any free one), and not the default 5090.
        Assert.NotEqual(5090, int.Parse(api.Groups["port"].Value));

        using var client = new HttpClient { BaseAddress = new Uri(api.Groups["url"].Value + "/") };
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "standalone-token");
        client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", "FaceSwapSandboxTests (https://example.invalid, 1.0)");
        var body = await client.GetStringAsync("users/@me");
        Assert.Equal(user.Groups["user"].Value, (string?)JsonNode.Parse(body)!["id"]);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("channels/1600000000000000002/messages")).StatusCode);
        Assert.Contains("state: memory only", output.ToString());

        stop.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [GeneratedRegex(@"Discord sandbox API: (?<url>http://127\.0\.0\.1:(?<port>[1-9][0-9]*)/api/v10)")]
    private static partial Regex ApiLine();

    [GeneratedRegex(@"account: token standalone-token, user (?<user>[0-9]+), guild 1600000000000000001, channel 1600000000000000002")]
    private static partial Regex AccountLine();

    [Fact]
    public async Task Standalone_takes_one_place_for_its_state_and_postgres_only_through_the_server()
    {
        var both = await Assert.ThrowsAsync<ArgumentException>(() => SandboxServer.RunStandaloneAsync(
            ["--state", Path.GetTempPath(), "--postgres", "Host=db"], TextWriter.Null, CancellationToken.None, _ => throw new InvalidOperationException("not opened")));
        Assert.Contains("give one", both.Message);
        // The sandbox library has no database of its own: the server's sandbox command supplies it.
        var alone = await Assert.ThrowsAsync<ArgumentException>(() => SandboxServer.RunStandaloneAsync(["--postgres", "Host=db"], TextWriter.Null, CancellationToken.None));
        Assert.Contains("src/FaceSwap.Server -- sandbox", alone.Message);
    }

    [Fact]
    public async Task Standalone_rejects_unknown_arguments()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => SandboxServer.RunStandaloneAsync(["--colour", "blue"], TextWriter.Null, CancellationToken.None));
    }
}
