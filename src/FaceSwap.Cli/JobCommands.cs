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
        var list = new Command("list", "Your executing jobs");
        list.SetAction((parse, ct) => FaceSwapCli.Guard(terminal, async () =>
        {
            using var client = FaceSwapCli.Client(terminal);
            var ids = await client.ListExecutingJobsAsync(ct);
            if (parse.GetValue(FaceSwapCli.Json))
            {
                terminal.Out.WriteLine(JsonSerializer.Serialize(ids));
                return ExitCodes.Ok;
            }
            if (ids.Count == 0) terminal.Console.MarkupLine("No executing jobs.");
            foreach (var id in ids) terminal.Console.WriteLine(id);
            return ExitCodes.Ok;
        }));

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

        var watchId = JobId();
        var watchOutput = Output();
        var watch = new Command("watch", "Follow a job live until it ends (and save its results with -o)") { watchId, watchOutput };
        watch.SetAction((parse, ct) => FaceSwapCli.Guard(terminal, async () =>
        {
            using var client = FaceSwapCli.Client(terminal);
            var json = parse.GetValue(FaceSwapCli.Json);
            var job = await client.GetJobAsync(parse.GetValue(watchId)!, ct);
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

    private static Argument<string> JobId() => new("jobid") { Description = "The job's id" };

    private static Option<string?> Output() => new("--output", "-o") { Description = "Save the result file(s) here (a file, or a folder ending with /)" };
}
