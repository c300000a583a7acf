using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace FaceSwap.Sandbox.Tests;

public sealed class StandaloneTests
{
    [Fact]
    public async Task Standalone_sandbox_listens_on_the_given_port_with_the_given_account()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        using var stop = new CancellationTokenSource();
        var output = new StringWriter();
        var run = SandboxServer.RunStandaloneAsync(
            ["--port", port.ToString(), "--token", "standalone-token", "--guild", "1600000000000000001", "--channel", "1600000000000000002", "--reply-delay", "0.01"],
            output, stop.Token);

        using var client = new HttpClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "standalone-token");
        client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", "FaceSwapSandboxTests (https://example.invalid, 1.0)");
        string? body = null;
        for (int i = 0; i < 100 && body is null; i++)
        {
            try { body = await client.GetStringAsync($"http://127.0.0.1:{port}/api/v10/users/@me"); }
            catch (HttpRequestException) { await Task.Delay(50); }
        }
        Assert.NotNull(body);
        Assert.Contains($"Discord sandbox API: http://127.0.0.1:{port}/api/v10", output.ToString());
        Assert.Contains($"user {(string)JsonNode.Parse(body!)!["id"]!}", output.ToString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"http://127.0.0.1:{port}/api/v10/channels/1600000000000000002/messages")).StatusCode);
        Assert.Contains("state: memory only", output.ToString());

        stop.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

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
