using System.Diagnostics;
using System.Net;
using FaceSwap.Testing;

namespace FaceSwap.Server.Tests;

/// <summary>The <c>sandbox</c> command as its own process, stopped as a service manager stops it.</summary>
public sealed class SandboxCommandSignalTests
{
    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task The_sandbox_command_ends_on_a_signal_and_keeps_its_state(string signal)
    {
        var state = Path.Combine(Path.GetTempPath(), "faceswap-tests", Guid.NewGuid().ToString("N"));
        var directory = AppContext.BaseDirectory;
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            Path.Combine(directory, "FaceSwap.Server.dll"), "sandbox", "--port", "0", "--state", state,
            "--token", "signal-token", "--guild", "1700000000000000001", "--channel", "1700000000000000002",
        })
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info)!;
        var output = new WrittenLines();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var exited = process.WaitForExitAsync();
            await output.WaitForAsync(new System.Text.RegularExpressions.Regex("account: token signal-token"), exited, TimeSpan.FromSeconds(60));

            using (var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString()])!) await kill.WaitForExitAsync();

            // It ends by itself, promptly and cleanly (it waited on forever after SIGTERM).
            await exited.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {output}");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }

        // The next run on the same folder has the account.
        using var stop = new CancellationTokenSource();
        var again = new WrittenLines();
        var run = FaceSwap.Sandbox.SandboxServer.RunStandaloneAsync(["--port", "0", "--state", state], again, stop.Token);
        var api = await again.WaitForAsync(new System.Text.RegularExpressions.Regex(@"Discord sandbox API: (?<url>\S+)"), run, TimeSpan.FromSeconds(60));
        using var client = new HttpClient { BaseAddress = new Uri(api.Groups["url"].Value + "/") };
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "signal-token");
        client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", "FaceSwapServerTests (https://example.invalid, 1.0)");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("channels/1700000000000000002/messages")).StatusCode);
        stop.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
        Directory.Delete(state, recursive: true);
    }
}
