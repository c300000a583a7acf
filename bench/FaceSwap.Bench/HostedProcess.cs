using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FaceSwap.Bench;

/// <summary>
/// A server under test (the FaceSwap server or the baseline) in its own process, so that its CPU and memory
/// are its own; its output goes to a log file in the run's folder.
/// </summary>
public sealed class HostedProcess : IAsyncDisposable
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

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts <c>dotnet <paramref name="dll"/> args</c> and waits until <paramref name="readyPath"/> answers.</summary>
    public static async Task<HostedProcess> StartAsync(string dll, IEnumerable<string> args, string log, string readyPath, IDictionary<string, string>? environment = null)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{dll} did not start");
        var writer = new StreamWriter(log) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var hosted = new HostedProcess(process, new Uri($"http://127.0.0.1:{port}"), log);
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
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
