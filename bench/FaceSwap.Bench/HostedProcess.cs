using System.Diagnostics;
using System.Text.RegularExpressions;

namespace FaceSwap.Bench;

/// <summary>
/// A server under test (the FaceSwap server or the baseline) in its own process, so that its CPU and memory
/// are its own; its output goes to a log file in the run's folder.
/// </summary>
public sealed partial class HostedProcess : IAsyncDisposable
{
    private readonly Process _process;

    private HostedProcess(Process process, Uri baseUrl, string log)
    {
        _process = process;
        BaseUrl = baseUrl;
        Log = log;
    }

    public Uri BaseUrl { get; }
    public string Log { get; }
    public int Pid => _process.Id;

    /// <summary>
    /// Starts <c>dotnet <paramref name="dll"/> args</c> on a port it binds itself (port 0), learns the address from its
    /// "Now listening on: …" line, and waits until <paramref name="readyPath"/> answers there. A port picked here and bound
    /// only later by the process could meanwhile be taken as the local port of any outgoing connection.
    /// </summary>
    public static async Task<HostedProcess> StartAsync(string dll, IEnumerable<string> args, string log, string readyPath, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        // The host's "Now listening on: <address>" is how the process's port becomes known.
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{dll} did not start");
        var writer = new StreamWriter(log) { AutoFlush = true };
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Read(string? line)
        {
            if (line is null) return;
            lock (writer) writer.WriteLine(line);
            if (ListeningLine().Match(line) is { Success: true } match) listening.TrySetResult(new Uri(match.Groups["url"].Value));
        }
        process.OutputDataReceived += (_, e) => Read(e.Data);
        process.ErrorDataReceived += (_, e) => Read(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (!listening.Task.IsCompleted)
        {
            if (process.HasExited) throw new InvalidOperationException($"{Path.GetFileName(dll)} exited with {process.ExitCode}; see {log}");
            if (deadline.Elapsed > TimeSpan.FromSeconds(90)) throw new TimeoutException($"{Path.GetFileName(dll)} never said where it listens; see {log}");
            await Task.WhenAny(listening.Task, Task.Delay(200));
        }
        var hosted = new HostedProcess(process, await listening.Task, log);
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"{Path.GetFileName(dll)} exited with {process.ExitCode}; see {log}");
            try
            {
                if ((await probe.GetAsync(new Uri(hosted.BaseUrl, readyPath))).IsSuccessStatusCode) return hosted;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (deadline.Elapsed > TimeSpan.FromSeconds(90)) throw new TimeoutException($"{Path.GetFileName(dll)} did not answer {readyPath}; see {log}");
            await Task.Delay(200);
        }
    }

    [GeneratedRegex(@"Now listening on: (?<url>http://\S+)")]
    private static partial Regex ListeningLine();

    /// <summary>Resident memory (VmRSS) in bytes.</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:")) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        throw new InvalidOperationException("no VmRSS");
    }

    public async ValueTask DisposeAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
