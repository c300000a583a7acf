using FaceSwap.Bench;

// Every benchmark of the project, each against a baseline measured in the same run, printed as one
// markdown table. Run through bench/run.sh (it builds everything in Release first); --smoke runs each bench
// briefly, only to check that it works. Exit code 1 when a bench could not run (not when a target is missed).

var smoke = args.Contains("--smoke");
var options = smoke ? Options.SmokeRun : Options.Full;
var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
var repo = FindRepo();
var work = Path.Combine(Path.GetTempPath(), "faceswap-bench", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss"));
Directory.CreateDirectory(work);
var machine = Machine.Describe();
var table = new Table();
var failures = new List<string>();
Console.Error.WriteLine($"bench: {(smoke ? "smoke run" : "full run")} on {machine}; logs in {work}");

async Task Section(string name, Func<Task> run)
{
    if (only is not null && only != name) return;
    try
    {
        await run();
    }
    catch (Exception e)
    {
        failures.Add($"{name}: {e.Message}");
        Console.Error.WriteLine($"bench: {name} FAILED: {e}");
    }
}

await Section("status", async () =>
{
    await using var server = await FaceSwapServer.StartAsync(repo, work, "status",
        ("FaceSwap:Sandbox:AsyncResultDelay", "01:00:00"));
    var jobs = await StatusReads.PrepareAsync(server);
    var body = Path.Combine(work, "job.json");
    await File.WriteAllBytesAsync(body, jobs.FinishedBody);
    await using var baseline = await HostedProcess.StartAsync(
        Path.Combine(repo, "bench/FaceSwap.Bench.Baseline/bin/Release/net10.0/FaceSwap.Bench.Baseline.dll"),
        ["--body", body], Path.Combine(work, "baseline.log"), $"/v1/faceswap/jobs/?jobid={jobs.Finished}");
    using (var check = new HttpClient())
    {
        var same = await check.GetByteArrayAsync(new Uri(baseline.BaseUrl, $"/v1/faceswap/jobs/?jobid={jobs.Finished}"));
        if (!same.AsSpan().SequenceEqual(jobs.FinishedBody)) throw new InvalidOperationException("the baseline does not serve the server's bytes");
    }
    await StatusReads.RunAsync(server, baseline, jobs, options, table);
    await Waiters.RunAsync(server, baseline, jobs, options, table);
});
await Section("submits", () => Submits.RunAsync(repo, work, options, table));
await Section("cluster", () => Cluster.RunAsync(repo, work, options, table));
await Section("discord", () => DiscordCost.RunAsync(repo, work, options, table));
await Section("local", () => LocalEngine.RunAsync(repo, options, table));

foreach (var failure in failures) table.Note($"Bench failed: {failure}");
Console.WriteLine(table.ToMarkdown(machine));
await File.WriteAllTextAsync(Path.Combine(work, "table.md"), table.ToMarkdown(machine));
return failures.Count == 0 ? 0 : 1;

static string FindRepo()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "FaceSwap.slnx"))) return dir.FullName;
    }
    throw new DirectoryNotFoundException("FaceSwap.slnx not found above the bench");
}
