using System.CommandLine;
using FaceSwap.Client;
using Spectre.Console;

namespace FaceSwap.Cli;

/// <summary>The <c>faceswap</c> command line: its commands, and how failures become messages and exit codes.</summary>
public static class FaceSwapCli
{
    /// <summary><c>--json</c>: machine-readable output on stdout (the API's JSON), no live display.</summary>
    public static readonly Option<bool> Json = new("--json") { Description = "Print the API's JSON instead of tables (for scripts)", Recursive = true };

    public static RootCommand Create(Terminal terminal)
    {
        var root = new RootCommand("faceswap: the FaceSwap API from the command line (saveid, swapid, picsi, headshot, jobs, …)");
        root.Options.Add(Json);
        root.Subcommands.Add(ConfigCommands.Create(terminal));
        root.Subcommands.Add(AccountCommands.Create(terminal));
        foreach (var command in BotCommands.Create(terminal)) root.Subcommands.Add(command);
        root.Subcommands.Add(JobCommands.Create(terminal));
        root.Subcommands.Add(WebhookCommands.Create(terminal));
        return root;
    }

    public static async Task<int> RunAsync(string[] args, Terminal terminal, CancellationToken cancellationToken = default)
    {
        var parse = Create(terminal).Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) terminal.Diagnostics.MarkupLineInterpolated($"[red]{error.Message}[/]");
            terminal.Diagnostics.MarkupLine("Run [bold]faceswap --help[/] for the commands and their arguments.");
            return ExitCodes.Usage;
        }
        return await parse.InvokeAsync(new InvocationConfiguration { Output = terminal.Out, Error = terminal.Out, EnableDefaultExceptionHandler = false },
            cancellationToken);
    }

    /// <summary>Runs one command's work: the API's refusals, an unreachable server and usage mistakes become a message and an exit code.</summary>
    public static async Task<int> Guard(Terminal terminal, Func<Task<int>> work)
    {
        try
        {
            return await work();
        }
        catch (FaceSwapApiException e)
        {
            terminal.Diagnostics.MarkupLineInterpolated($"[red]Error {e.Code}: {e.Error}[/]");
            if (e.ErrorDetails is { } details) terminal.Diagnostics.MarkupLineInterpolated($"[grey]{details}[/]");
            if (e.ExecutingJobs.Count > 0) terminal.Diagnostics.MarkupLineInterpolated($"[grey]Executing jobs: {string.Join(", ", e.ExecutingJobs)}[/]");
            return ExitCodes.ApiError;
        }
        catch (UsageException e)
        {
            terminal.Diagnostics.MarkupLineInterpolated($"[red]{e.Message}[/]");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            terminal.Diagnostics.MarkupLineInterpolated($"[red]{e.Message}[/]");
            return ExitCodes.Usage;
        }
        catch (HttpRequestException e)
        {
            terminal.Diagnostics.MarkupLineInterpolated($"[red]The server could not be reached: {e.Message}[/]");
            return ExitCodes.Unreachable;
        }
        catch (TaskCanceledException e) when (e.InnerException is TimeoutException)
        {
            terminal.Diagnostics.MarkupLine("[red]The server did not answer in time.[/]");
            return ExitCodes.Unreachable;
        }
        catch (OperationCanceledException)
        {
            terminal.Diagnostics.MarkupLine("[yellow]Interrupted; the job goes on (faceswap jobs watch JOBID follows it).[/]");
            return ExitCodes.Interrupted;
        }
    }

    /// <summary>A client for the configured server; retries are announced on the console.</summary>
    public static FaceSwapClient Client(Terminal terminal)
    {
        var (baseUrl, token) = ConfigFile.Resolve(terminal);
        return new FaceSwapClient(baseUrl, token, options => options.OnRetry = notice =>
            terminal.Diagnostics.MarkupLineInterpolated(
                $"[yellow]{notice.Method} {notice.Path}: {(notice.StatusCode is { } status ? status.ToString() : notice.Failure)}; retry {notice.Attempt} in {notice.Delay.TotalSeconds:0.#} s[/]"));
    }
}
