namespace FaceSwap.Bench;

/// <summary>
/// <c>GET /jobs/?jobid=</c> with a valid token against the bare Kestrel baseline serving the same bytes,
/// wrk -t1 -c64, rounds interleaved and the best of each side kept (the machine's other load only ever slows).
/// </summary>
public static class StatusReads
{
    public sealed record Jobs(string Finished, string Running, byte[] FinishedBody);

    /// <summary>A finished swap with a result attachment (about 1 KB of JSON) and a running async job.</summary>
    public static async Task<Jobs> PrepareAsync(FaceSwapServer server)
    {
        var photo = Png.Gradient();
        var channel = ("channel", (object)FaceSwapServer.SandboxChannel);
        await server.SubmitAsync("saveid", channel, ("idname", "me"), ("image", photo));
        var swapped = await server.SubmitAsync("swapid", channel, ("idname", "me"), ("image", photo), ("replyRef", "bench-poller-0001"));
        var finished = (string)swapped["jobid"]!;
        if ((string?)swapped["status"] != "completed") throw new InvalidOperationException($"the swap did not complete: {swapped.ToJsonString()}");
        var running = (string)(await server.SubmitAsync("headshot", channel, ("prompt", "me, an astronaut")))["jobid"]!;
        var body = await server.Client.GetByteArrayAsync($"jobs/?jobid={finished}");
        return new Jobs(finished, running, body);
    }

    public static string[] AuthHeaders => [$"Authorization: Bearer {FaceSwapServer.Token}"];

    /// <summary>The best (highest rate) of <paramref name="rounds"/> wrk runs on each side, interleaved.</summary>
    public static async Task<(WrkResult Server, WrkResult Baseline)> CompareAsync(string serverUrl, string baselineUrl, Options options,
        IEnumerable<string>? serverHeaders = null)
    {
        WrkResult? best = null, bestBaseline = null;
        for (var round = 0; round < options.Rounds; round++)
        {
            var baseline = await Wrk.RunAsync(baselineUrl, options.Duration, headers: AuthHeaders);
            var server = await Wrk.RunAsync(serverUrl, options.Duration, headers: serverHeaders ?? AuthHeaders);
            if (server.Errors > 0) throw new InvalidOperationException($"{server.Errors} of {server.Requests} status reads failed");
            if (best is null || server.RequestsPerSecond > best.RequestsPerSecond) best = server;
            if (bestBaseline is null || baseline.RequestsPerSecond > bestBaseline.RequestsPerSecond) bestBaseline = baseline;
        }
        return (best!, bestBaseline!);
    }

    public static async Task RunAsync(FaceSwapServer server, HostedProcess baseline, Jobs jobs, Options options, Table table)
    {
        var finishedUrl = server.JobUrl(jobs.Finished);
        var baselineUrl = new Uri(baseline.BaseUrl, $"/v1/faceswap/jobs/?jobid={jobs.Finished}").ToString();
        await Wrk.RunAsync(finishedUrl, options.WarmUp, headers: AuthHeaders);
        await Wrk.RunAsync(baselineUrl, options.WarmUp, headers: AuthHeaders);

        var (read, bare) = await CompareAsync(finishedUrl, baselineUrl, options);
        var ratio = read.RequestsPerSecond / bare.RequestsPerSecond;
        table.Add(new Row($"`GET /jobs/?jobid=` finished job ({jobs.FinishedBody.Length} B), auth, wrk -t1 -c64",
            read.Describe(), bare.Describe(), Table.Times(ratio), "≥ 0.50×, p99 < 5 ms", ratio >= 0.5 && read.P99Ms < 5));

        var response = await server.Client.GetAsync($"jobs/?jobid={jobs.Finished}");
        var etag = response.Headers.ETag?.ToString() ?? throw new InvalidOperationException("no ETag on a job read");
        var (notModified, bare304) = await CompareAsync(finishedUrl, baselineUrl, options with { Rounds = 1 },
            [.. AuthHeaders, $"If-None-Match: {etag}"]);
        table.Add(new Row("same, a poller's `If-None-Match` → 304", notModified.Describe(), bare304.Describe(),
            Table.Times(notModified.RequestsPerSecond / bare304.RequestsPerSecond), "—", null));

        var (running, bareRunning) = await CompareAsync(server.JobUrl(jobs.Running), baselineUrl, options with { Rounds = 1 });
        table.Add(new Row("same, a running job (one SQLite read per request)", running.Describe(), bareRunning.Describe(),
            Table.Times(running.RequestsPerSecond / bareRunning.RequestsPerSecond), "—", null));
    }
}
