using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using FaceSwap.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FaceSwap.Server.Tests;

/// <summary>
/// The server as its own process, killed with SIGKILL mid-work and started again on the same data folder:
/// every accepted job still exists and every one that was not terminal reaches a terminal state.
/// </summary>
public sealed class CrashRecoveryTests(ITestOutputHelper output)
{
    private const string Token = "crash-test-token-0123456789";

    [Fact]
    public async Task Every_accepted_job_survives_a_kill_and_finishes_after_restart()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "faceswap-tests", Guid.NewGuid().ToString("N"));
        var port = FreePort();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/v1/faceswap/"), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);

        // First life: slow async results and paced interactions, so jobs are mid-flight at the kill.
        var first = StartServer(port, dataDir, asyncResultDelay: "00:01:00", pacing: "00:00:01.500");
        string savedId;
        var accepted = new List<string>();
        try
        {
            await WaitHealthyAsync(port);
            await client.PostAsync("saveid", Forms.Multipart(("idname", "me"), ("image", SandboxedServer.FacePhoto())));
            var swapped = await (await client.PostAsync("swapid", Forms.Multipart(("idname", "me"), ("image", SandboxedServer.FacePhoto(seed: 2))))).JsonAsync();
            Assert.Equal("completed", (string?)swapped["status"]);
            savedId = (string)swapped["jobid"]!;
            // Async jobs that need nothing saved with the bot (the restarted sandbox forgets saved ids). Their answers
            // wait for the bot's first reply, which the paced sends make slow: the jobs are read from the list of
            // executing jobs instead, so the kill finds some sent and some still queued.
            for (var i = 0; i < 4; i++)
            {
                _ = client.PostAsync("picsi", Forms.Multipart(("source_image", SandboxedServer.FacePhoto(seed: i)), ("target_image_gif_or_video", Forms.Gif)));
            }
            for (var tries = 0; accepted.Count < 4 && tries < 300; tries++)
            {
                await Task.Delay(50);
                accepted = JsonNode.Parse(await client.GetStringAsync("jobs"))!.AsArray().Select(id => (string)id!).ToList();
            }
            Assert.Equal(4, accepted.Count);
            await Task.Delay(800);
        }
        finally
        {
            first.Kill(entireProcessTree: true); // SIGKILL: no shutdown code runs
            await first.WaitForExitAsync();
        }

        // Second life, same data folder: quick results now.
        var second = StartServer(port, dataDir, asyncResultDelay: "00:00:00.500", pacing: "00:00:00.200");
        try
        {
            await WaitHealthyAsync(port);
            var before = await (await client.GetAsync($"jobs/?jobid={savedId}")).JsonAsync();
            Assert.Equal("completed", (string?)before["status"]);
            using var anonymous = new HttpClient();
            var resultUrl = (string)before["attachments"]![0]!["url"]!;
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(resultUrl)).StatusCode);

            var outcomes = new List<string>();
            foreach (var jobId in accepted)
            {
                var job = await PollUntilTerminalAsync(client, jobId, TimeSpan.FromSeconds(90));
                outcomes.Add((string)job["status"]!);
                if ((string?)job["status"] == "failed") Assert.False(string.IsNullOrEmpty((string?)job["errorDetails"] ?? (string?)job["error"]));
            }
            output.WriteLine("outcomes after restart: " + string.Join(", ", outcomes));
            Assert.Contains("completed", outcomes);
            Assert.Equal("[]", await client.GetStringAsync("jobs"));
        }
        finally
        {
            second.Kill(entireProcessTree: true);
            await second.WaitForExitAsync();
        }
    }

    private Process StartServer(int port, string dataDir, string asyncResultDelay, string pacing)
    {
        var directory = AppContext.BaseDirectory;
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
        {
            Path.Combine(directory, "FaceSwap.Server.dll"),
            "--urls", $"http://127.0.0.1:{port}",
            $"--FaceSwap:DataDir={dataDir}",
            $"--FaceSwap:Auth:BootstrapToken={Token}",
            "--FaceSwap:Sandbox:Enabled=true",
            "--FaceSwap:Local:BootstrapChannel=false",
            "--FaceSwap:Sandbox:BotReplyDelay=00:00:00.050",
            $"--FaceSwap:Sandbox:AsyncResultDelay={asyncResultDelay}",
            "--FaceSwap:Discord:FastPollInterval=00:00:00.200",
            "--FaceSwap:Discord:SlowPollMin=00:00:00.300",
            "--FaceSwap:Discord:SlowPollMax=00:00:00.500",
            $"--FaceSwap:Discord:InteractionPacing={pacing}",
            "--FaceSwap:Discord:ReplyTimeout=00:00:20",
            "--FaceSwap:Discord:AsyncResultTimeout=00:00:06",
            "--FaceSwap:Jobs:LeaseDuration=00:00:02",
            "--FaceSwap:Jobs:RecoveryInterval=00:00:00.500",
        })
        {
            info.ArgumentList.Add(argument);
        }
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Log(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Log(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Log(string line)
    {
        try { output.WriteLine(line); } catch (InvalidOperationException) { /* the test has ended */ }
    }

    private static async Task WaitHealthyAsync(int port)
    {
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 300; i++)
        {
            try
            {
                if ((await probe.GetAsync($"http://127.0.0.1:{port}/healthz")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException("The server did not start");
    }

    private static async Task<JsonObject> PollUntilTerminalAsync(HttpClient client, string jobId, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var response = await client.GetAsync($"jobs/?jobid={jobId}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var job = await response.JsonAsync();
            if ((string?)job["status"] is "completed" or "failed" or "moderated" or "cancelled") return job;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Job {jobId} stayed {(string?)job["status"]}");
            await Task.Delay(200);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
