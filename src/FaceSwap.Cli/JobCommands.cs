using System.CommandLine;
using System.Text.Json;
using FaceSwap.Client;
using Spectre.Console;

namespace FaceSwap.Cli;

/// <summary><c>faceswap jobs list|get|cancel|watch</c>.</summary>
public static class JobCommands
{
    public static Command Create(Terminal terminal)
    {
        var list = ListCommand(terminal);

        var getId = JobId();
        var getOutput = Output();
        var get = new Command("get", "Show a job (and save its results with -o)") { getId, getOutput };
        get.SetAction((parse, ct) => FaceSwapCli.Guard(terminal, async () =>
        {
            using var client = FaceSwapCli.Client(terminal);
            var json = parse.GetValue(FaceSwapCli.Json);
            var job = await client.GetJobAsync(parse.GetValue(getId)!, ct);
            JobOutput.Print(terminal, job, json);
            if (parse.GetValue(getOutput) is { } output && job.Status == JobStatus.Completed) await JobOutput.SaveAsync(terminal, client, job, output, json, ct);
            return ExitCodes.Ok;
        }));

        var cancelId = JobId();
        var cancel = new Command("cancel", "Cancel a job that has not ended") { cancelId };
        cancel.SetAction((parse, ct) => FaceSwapCli.Guard(terminal, async () =>
        {
            using var client = FaceSwapCli.Client(terminal);
            var cancelled = await client.CancelJobAsync(parse.GetValue(cancelId)!, ct);
            if (parse.GetValue(FaceSwapCli.Json)) terminal.Out.WriteLine(JsonSerializer.Serialize(new { jobid = cancelled.JobId, status = cancelled.Status.ToWire() }));
            else terminal.Console.MarkupLine($"{Markup.Escape(cancelled.JobId)} {JobOutput.StatusMarkup(cancelled.Status)}");
            return ExitCodes.Ok;
        }));

        var watchId = new Argument<string?>("jobid") { Description = "The job's id; without it, all your jobs", Arity = ArgumentArity.ZeroOrOne };
        var watchOutput = Output();
        var watch = new Command("watch", "Follow a job live until it ends (and save its results with -o); without a jobid, all your jobs until Ctrl+C")
            { watchId, watchOutput };
        watch.SetAction((parse, ct) => FaceSwapCli.Guard(terminal, async () =>
        {
            using var client = FaceSwapCli.Client(terminal);
            var json = parse.GetValue(FaceSwapCli.Json);
            if (parse.GetValue(watchId) is not { } jobId)
            {
                if (parse.GetValue(watchOutput) is not null) throw new UsageException("-o saves one job's results: give its jobid.");
                return await WatchAllAsync(terminal, client, json, ct);
            }
            var job = await client.GetJobAsync(jobId, ct);
            if (!json && !job.IsTerminal) terminal.Console.MarkupLine($"{Markup.Escape(job.JobId)} {JobOutput.StatusMarkup(job.Status)}");
            job = await JobOutput.FollowAsync(terminal, client, job, json, ct);
            JobOutput.Print(terminal, job, json);
            if (parse.GetValue(watchOutput) is { } output && job.Status == JobStatus.Completed) await JobOutput.SaveAsync(terminal, client, job, output, json, ct);
            return JobOutput.ExitCode(job);
        }));

        var jobs = new Command("jobs", "Your jobs: list, get, cancel, watch, deliveries, redeliver") { list, get, cancel, watch };
        foreach (var command in WebhookCommands.JobCommands(terminal)) jobs.Subcommands.Add(command);
        return jobs;
    }

    /// <summary>
    /// <c>jobs list</c>: the caller's recent jobs of every status (<c>GET /jobs/list</c>), newest first, or with
    /// <c>--executing</c> the ids of the running ones (<c>GET /jobs</c>, which the commercial service has too).
    /// </summary>
    private static Command ListCommand(Terminal terminal)
    {
        var limit = new Option<int>("--limit", "-n") { Description = "How many jobs to show (newest first)", DefaultValueFactory = _ => 20 };
        var status = new Option<string[]>("--status", "-s")
        {
            Description = "Only jobs with this status (created, started, progress, completed, failed, moderated, cancelled); repeatable",
            AllowMultipleArgumentsPerToken = true,
        };
        var executing = new Option<bool>("--executing") { Description = "Only the ids of your executing jobs (GET /jobs)" };
        var list = new Command("list", "Your recent jobs, newest first") { limit, status, executing };
        list.SetAction((parse, ct) => FaceSwapCli.Guard(terminal, async () =>
        {
            using var client = FaceSwapCli.Client(terminal);
            var json = parse.GetValue(FaceSwapCli.Json);
            if (parse.GetValue(executing))
            {
                var ids = await client.ListExecutingJobsAsync(ct);
                if (json) terminal.Out.WriteLine(JsonSerializer.Serialize(ids));
                else if (ids.Count == 0) terminal.Console.MarkupLine("No executing jobs.");
                else foreach (var id in ids) terminal.Console.WriteLine(id);
                return ExitCodes.Ok;
            }
            var count = parse.GetValue(limit);
            if (count < 1) throw new UsageException("--limit must be at least 1.");
            var wanted = new HashSet<JobStatus>();
            foreach (var name in parse.GetValue(status) ?? [])
            {
                var parsed = JobStatuses.Parse(name);
                if (parsed == JobStatus.Unknown)
                    throw new UsageException($"Unknown status {name}: one of {string.Join(", ", Enum.GetValues<JobStatus>().Skip(1).Select(s => s.ToWire()))}.");
                wanted.Add(parsed);
            }
            // Unfiltered, one page of the size asked for; filtered, full pages until enough jobs match.
            var pageSize = wanted.Count == 0 ? Math.Min(count, 200) : 200;
            var jobs = new List<Job>();
            await foreach (var job in client.ListAllRecentJobsAsync(pageSize, ct))
            {
                if (wanted.Count > 0 && !wanted.Contains(job.Status)) continue;
                jobs.Add(job);
                if (jobs.Count == count) break;
            }
            JobOutput.PrintList(terminal, jobs, json);
            return ExitCodes.Ok;
        }));
        return list;
    }

    /// <summary>Every change of any of the caller's jobs, one line each, until Ctrl+C (which ends it with exit 0).</summary>
    private static async Task<int> WatchAllAsync(Terminal terminal, FaceSwapClient client, bool json, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var job in client.WatchAllJobsAsync(
                               () => terminal.Diagnostics.MarkupLine("[grey]Following all your jobs (Ctrl+C stops).[/]"), cancellationToken))
            {
                if (json) JobOutput.Print(terminal, job, json: true);
                else JobOutput.PrintChangeLine(terminal, job);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        return ExitCodes.Ok;
    }

    private static Argument<string> JobId() => new("jobid") { Description = "The job's id" };

    private static Option<string?> Output() => new("--output", "-o") { Description = "Save the result file(s) here (a file, or a folder ending with /)" };
}
