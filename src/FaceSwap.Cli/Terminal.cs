using Spectre.Console;

namespace FaceSwap.Cli;

/// <summary>
/// What the CLI talks to: the console people read (Spectre: tables, the live status), the one for errors and
/// notices (stderr), the plain output scripts read (<c>--json</c>), the environment and the config file's path.
/// The process's own, or a test's.
/// </summary>
public sealed record Terminal(IAnsiConsole Console, IAnsiConsole Diagnostics, TextWriter Out, Func<string, string?> Environment, string ConfigPath)
{
    public static Terminal OfProcess() => new(
        AnsiConsole.Console,
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Error) }),
        System.Console.Out,
        System.Environment.GetEnvironmentVariable,
        System.Environment.GetEnvironmentVariable("FACESWAP_CONFIG") is { Length: > 0 } path ? path : ConfigFile.DefaultPath());
}

/// <summary>The process's exit status.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The job ended failed, moderated or cancelled.</summary>
    public const int JobNotCompleted = 1;
    /// <summary>Bad arguments, a missing file or no configuration.</summary>
    public const int Usage = 2;
    /// <summary>The API refused the request (its error text is printed).</summary>
    public const int ApiError = 3;
    /// <summary>The server could not be reached.</summary>
    public const int Unreachable = 4;
    /// <summary>Ctrl+C (128 + SIGINT, as shells count it).</summary>
    public const int Interrupted = 130;
}

/// <summary>A mistake of the caller's, reported as it is with <see cref="ExitCodes.Usage"/>.</summary>
public sealed class UsageException(string message) : Exception(message);
