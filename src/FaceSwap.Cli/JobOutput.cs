using System.Text.Json;
using FaceSwap.Client;
using Spectre.Console;

namespace FaceSwap.Cli;

/// <summary>How a job is shown, followed until it ends, and its results saved.</summary>
public static class JobOutput
{
    private static readonly JsonSerializerOptions Wire = new()
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Follows a job that has not ended with a live status line, driven by the job's own changes (the server's
    /// stream, else held requests or polling), printing each change; returns the job as it ended.
    /// </summary>
    public static async Task<Job> FollowAsync(Terminal terminal, FaceSwapClient client, Job job, bool json, CancellationToken cancellationToken)
    {
        if (job.IsTerminal) return job;
        if (json)
        {
            await foreach (var snapshot in client.WatchJobAsync(job.JobId, cancellationToken)) job = snapshot;
            return job;
        }
        var interactive = terminal.Console.Profile.Capabilities.Interactive;
        if (interactive) PrintChange(terminal, job);
        await terminal.Console.Status().StartAsync(StatusLine(job), async context =>
        {
            await foreach (var snapshot in client.WatchJobAsync(job.JobId, cancellationToken))
            {
                // A console that is not interactive prints each status line itself; an interactive one keeps a history here.
                if (interactive && (snapshot.Status != job.Status || snapshot.Content != job.Content)) PrintChange(terminal, snapshot);
                job = snapshot;
                context.Status(StatusLine(job));
            }
        });
        return job;
    }

    private static string StatusLine(Job job) => Markup.Escape($"{job.JobId} {job.Status.ToWire()}{(job.Content is { } c ? ": " + Shorten(c) : "")}");

    private static void PrintChange(Terminal terminal, Job job) =>
        terminal.Console.MarkupLine($"[grey]{Markup.Escape(job.Updated?.ToString("HH:mm:ss") ?? "")}[/] {StatusMarkup(job.Status)} {Markup.Escape(Shorten(job.Content ?? ""))}");

    private static string Shorten(string text)
    {
        var line = text.ReplaceLineEndings(" ");
        return line.Length > 100 ? line[..100] + "…" : line;
    }

    public static string StatusMarkup(JobStatus status) => status switch
    {
        JobStatus.Completed => "[green]completed[/]",
        JobStatus.Failed or JobStatus.Moderated => $"[red]{status.ToWire()}[/]",
        JobStatus.Cancelled => "[yellow]cancelled[/]",
        _ => $"[blue]{status.ToWire()}[/]",
    };

    /// <summary>The job for people (a table) or scripts (its JSON on one line).</summary>
    public static void Print(Terminal terminal, Job job, bool json)
    {
        if (json)
        {
            terminal.Out.WriteLine(JsonSerializer.Serialize(job, Wire));
            return;
        }
        var table = new Table().HideHeaders().Border(TableBorder.Rounded).AddColumn("field").AddColumn("value");
        table.AddRow("jobid", Markup.Escape(job.JobId));
        table.AddRow("verb", Markup.Escape(job.Verb ?? ""));
        table.AddRow("status", StatusMarkup(job.Status));
        if (job.Channel is { } channel) table.AddRow("channel", Markup.Escape(channel));
        if (job.Created is { } created) table.AddRow("created", Markup.Escape(created.ToString("u")));
        if (job.Updated is { } updated) table.AddRow("updated", Markup.Escape(updated.ToString("u")));
        foreach (var (name, value) in new[] { ("idname", job.IdName), ("prompt", job.Prompt), ("a_background_photo_of", job.BackgroundPhotoOf),
                     ("options", job.Options), ("targetMessageId", job.TargetMessageId), ("messageId", job.MessageId) })
        {
            if (value is not null) table.AddRow(name, Markup.Escape(value));
        }
        if (job.Content is { } content) table.AddRow("content", Markup.Escape(content));
        foreach (var attachment in job.Attachments ?? [])
            table.AddRow("attachment", Markup.Escape($"{attachment.FileName} ({attachment.ContentType}, {attachment.Width}x{attachment.Height}, {attachment.Size} bytes) {attachment.Url}"));
        if (job.Error is { } error) table.AddRow("[red]error[/]", Markup.Escape(error));
        if (job.ErrorDetails is { } details) table.AddRow("[red]errorDetails[/]", Markup.Escape(details));
        if (job.ReplyRef is { } replyRef) table.AddRow("replyRef", Markup.Escape(replyRef));
        terminal.Console.Write(table);
    }

    /// <summary>Jobs for people (a table, one row each) or scripts (a JSON array of the jobs on one line).</summary>
    public static void PrintList(Terminal terminal, IReadOnlyList<Job> jobs, bool json)
    {
        if (json)
        {
            terminal.Out.WriteLine(JsonSerializer.Serialize(jobs, Wire));
            return;
        }
        if (jobs.Count == 0)
        {
            terminal.Console.MarkupLine("No jobs.");
            return;
        }
        var table = new Table().Border(TableBorder.Rounded).AddColumns("jobid", "verb", "status", "created", "channel", "content");
        foreach (var job in jobs)
            table.AddRow(Markup.Escape(job.JobId), Markup.Escape(job.Verb ?? ""), StatusMarkup(job.Status),
                Markup.Escape(job.Created?.ToString("u") ?? ""), Markup.Escape(job.Channel ?? ""), Markup.Escape(Shorten(job.Error ?? job.Content ?? "")));
        terminal.Console.Write(table);
    }

    /// <summary>One line for a change of a job, when following all jobs: time, jobid, verb, status and what it says.</summary>
    public static void PrintChangeLine(Terminal terminal, Job job) =>
        terminal.Console.MarkupLine($"[grey]{Markup.Escape(job.Updated?.ToString("HH:mm:ss") ?? "")}[/] {Markup.Escape(job.JobId)} "
            + $"{Markup.Escape(job.Verb ?? "")} {StatusMarkup(job.Status)} {Markup.Escape(Shorten(job.Error ?? job.Content ?? ""))}");

    /// <summary>
    /// Saves the job's result files: one file to <paramref name="output"/>; several as output, output-2, …; into a
    /// folder (an existing one, or a path ending with a separator) under their own names.
    /// </summary>
    public static async Task<IReadOnlyList<string>> SaveAsync(Terminal terminal, FaceSwapClient client, Job job, string output, bool json,
        CancellationToken cancellationToken)
    {
        var attachments = job.Attachments ?? [];
        if (attachments.Count == 0)
        {
            terminal.Diagnostics.MarkupLine("[yellow]The job has no result files to save.[/]");
            return [];
        }
        var intoFolder = Directory.Exists(output) || output.EndsWith(Path.DirectorySeparatorChar) || output.EndsWith('/');
        if (intoFolder) Directory.CreateDirectory(output);
        var saved = new List<string>();
        for (var i = 0; i < attachments.Count; i++)
        {
            var attachment = attachments[i];
            var path = intoFolder
                ? Path.Combine(output, SafeName(attachment.FileName, i))
                : i == 0 ? output : Path.Combine(Path.GetDirectoryName(output) ?? "", $"{Path.GetFileNameWithoutExtension(output)}-{i + 1}{Path.GetExtension(output)}");
            var folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (folder is not null) Directory.CreateDirectory(folder);
            await using (var file = File.Create(path))
                await client.DownloadAsync(attachment, file, cancellationToken);
            saved.Add(path);
            if (!json) terminal.Console.MarkupLineInterpolated($"Saved {path} ({new FileInfo(path).Length} bytes)");
        }
        return saved;
    }

    private static string SafeName(string? name, int index)
    {
        var file = Path.GetFileName(name ?? "");
        return file.Length == 0 || file.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 ? $"result-{index + 1}" : file;
    }

    /// <summary>0 when the job completed (or was only submitted), 1 when it ended otherwise.</summary>
    public static int ExitCode(Job job) =>
        job.IsTerminal && job.Status != JobStatus.Completed ? ExitCodes.JobNotCompleted : ExitCodes.Ok;
}
