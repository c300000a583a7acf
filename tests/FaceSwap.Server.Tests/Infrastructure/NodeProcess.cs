using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace FaceSwap.Server.Tests.Infrastructure;

/// <summary>
/// One node of a cluster: the built server (<c>dotnet FaceSwap.Server.dll</c>) in its own process, with its own port
/// and data folder, killed with SIGKILL and started again on the same port and folder as a test needs.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly IReadOnlyList<string> _settings;
    private readonly Action<string> _log;
    private Process? _process;

    public NodeProcess(string name, string token, IEnumerable<KeyValuePair<string, string>> settings, Action<string> log)
    {
        Name = name;
        Port = FreePort();
        DataDir = Path.Combine(Path.GetTempPath(), "faceswap-tests", Guid.NewGuid().ToString("N"));
        _settings = settings.Select(s => $"--{s.Key}={s.Value}").ToList();
        _log = log;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}/v1/faceswap/"), Timeout = TimeSpan.FromSeconds(60) };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Token = token;
    }

    public string Name { get; }
    public int Port { get; }
    public string DataDir { get; }
    public string Token { get; }
    public HttpClient Client { get; }

    /// <summary>The running process's id (it names the node in its lease owner, <c>machine:pid:…</c>).</summary>
    public int Pid => _process?.Id ?? throw new InvalidOperationException($"{Name} is not running");

    public bool Running => _process is { HasExited: false };

    /// <summary>How many kills of this node have ended (the process is gone); read it before a request, for <see cref="KilledSince"/>.</summary>
    public int KillsEnded => Volatile.Read(ref _killsEnded);

    /// <summary>
    /// Whether a kill that had not ended when <see cref="KillsEnded"/> read <paramref name="killsEnded"/> has begun
    /// since: a request sent then may have been cut off by it. That includes a request sent while the kill was under
    /// way, since the signal comes only after the process tree has been walked, which takes a while on a busy machine.
    /// </summary>
    public bool KilledSince(int killsEnded) => Volatile.Read(ref _killsBegun) > killsEnded;

    private int _killsBegun;
    private int _killsEnded;

    public void Start()
    {
        var directory = AppContext.BaseDirectory;
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            Path.Combine(directory, "FaceSwap.Server.dll"),
            "--urls", $"http://127.0.0.1:{Port}",
            $"--FaceSwap:DataDir={DataDir}",
            $"--FaceSwap:Auth:BootstrapToken={Token}",
        }.Concat(_settings))
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__FaceSwap"] = "Information";
        var process = Process.Start(info)!;
        // Only what went wrong, and each takeover, is worth reading.
        void Read(string? line)
        {
            if (line is not null && (line.Contains("fail", StringComparison.OrdinalIgnoreCase) || line.Contains("warn", StringComparison.OrdinalIgnoreCase)
                                     || line.Contains("Resuming", StringComparison.Ordinal) || line.Contains("Exception", StringComparison.Ordinal)))
                _log($"[{Name}] {line}");
        }
        process.OutputDataReceived += (_, e) => Read(e.Data);
        process.ErrorDataReceived += (_, e) => Read(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    public async Task WaitHealthyAsync()
    {
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process is { HasExited: true } exited) throw new InvalidOperationException($"{Name} exited with {exited.ExitCode}");
            try
            {
                if ((await probe.GetAsync($"http://127.0.0.1:{Port}/healthz")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{Name} did not start");
    }

    /// <summary>SIGKILL: no shutdown code runs, no lease is handed back.</summary>
    public async Task KillAsync()
    {
        if (_process is null || _process.HasExited) return;
        Interlocked.Increment(ref _killsBegun);
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        Interlocked.Increment(ref _killsEnded);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        Client.Dispose();
    }
}
