using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace FaceSwap.Server.Tests.Infrastructure;

/// <summary>
/// One node of a cluster: the built server (<c>dotnet FaceSwap.Server.dll</c>) in its own process, with its own data
/// folder, killed with SIGKILL and started again on the same folder as a test needs. Each start binds port 0 itself
/// and the node's address is the one the server announces ("Now listening on: …"): a port picked by the test and bound
/// only later by the process could meanwhile be taken as the local port of any outgoing connection. So a restarted
/// node has a new port; <see cref="Client"/> and the clients of <see cref="CreateClient"/> always send to the current one.
/// </summary>
public sealed partial class NodeProcess : IAsyncDisposable
{
    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly Action<string> _log;
    private readonly bool _everyLine;
    private readonly List<HttpClient> _clients = [];
    private Process? _process;
    private TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile Uri? _baseUrl;

    /// <param name="dataDir">The node's data folder; a fresh one when null.</param>
    /// <param name="everyLine">
    /// Log every line the server writes, at its usual levels; otherwise only warnings, failures and takeovers.
    /// </param>
    public NodeProcess(string name, string token, IEnumerable<KeyValuePair<string, string>> settings, Action<string> log,
        string? dataDir = null, bool everyLine = false)
    {
        Name = name;
        Token = token;
        DataDir = dataDir ?? Path.Combine(Path.GetTempPath(), "faceswap-tests", Guid.NewGuid().ToString("N"));
        _settings = settings.ToDictionary();
        _log = log;
        _everyLine = everyLine;
        Client = CreateClient(TimeSpan.FromSeconds(60));
    }

    public string Name { get; }
    public string DataDir { get; }
    public string Token { get; }

    /// <summary>The API (<c>/v1/faceswap/</c>) with the node's token, at the node's current address.</summary>
    public HttpClient Client { get; }

    /// <summary>
    /// <c>http://127.0.0.1:&lt;port&gt;/</c> of the node's latest start, once it announced it; kept after a kill, so a
    /// request to a dead node is refused as it would be by any node that is down.
    /// </summary>
    public Uri BaseUrl => _baseUrl ?? throw new InvalidOperationException($"{Name} has not announced its address yet");

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

    /// <summary>
    /// A client of the API with the node's token, whose requests go to the node's current address (a restart moves it);
    /// disposed with the node.
    /// </summary>
    public HttpClient CreateClient(TimeSpan timeout)
    {
        // The base address's port is a placeholder: each request's is the node's current one.
        var client = new HttpClient(new CurrentAddress(this)) { BaseAddress = new Uri("http://127.0.0.1/v1/faceswap/"), Timeout = timeout };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        lock (_clients) _clients.Add(client);
        return client;
    }

    /// <summary>Starts the node; <paramref name="lifeSettings"/> add to (or replace) the node's settings for this start only.</summary>
    public void Start(IEnumerable<KeyValuePair<string, string>>? lifeSettings = null)
    {
        if (Running) throw new InvalidOperationException($"{Name} is running already");
        var directory = AppContext.BaseDirectory;
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            Path.Combine(directory, "FaceSwap.Server.dll"),
            "--urls", "http://127.0.0.1:0",
            $"--FaceSwap:DataDir={DataDir}",
            $"--FaceSwap:Auth:BootstrapToken={Token}",
        }.Concat(Settings(lifeSettings).Select(s => $"--{s.Key}={s.Value}")))
        {
            info.ArgumentList.Add(argument);
        }
        if (!_everyLine)
        {
            info.Environment["Logging__LogLevel__Default"] = "Warning";
            info.Environment["Logging__LogLevel__FaceSwap"] = "Information";
        }
        // The host's "Now listening on: <address>" is how the node's port becomes known.
        info.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        _listening = listening;
        var process = Process.Start(info)!;
        void Read(string? line)
        {
            if (line is null) return;
            if (ListeningLine().Match(line) is { Success: true } match && !listening.Task.IsCompleted)
            {
                var address = new Uri(match.Groups["url"].Value.TrimEnd('/') + "/");
                _baseUrl = address;
                listening.TrySetResult(address);
                _log($"[{Name}] listening on {address}");
            }
            // Unless every line is wanted, only what went wrong, and each takeover, is worth reading.
            if (_everyLine || line.Contains("fail", StringComparison.OrdinalIgnoreCase) || line.Contains("warn", StringComparison.OrdinalIgnoreCase)
                || line.Contains("Resuming", StringComparison.Ordinal) || line.Contains("Exception", StringComparison.Ordinal))
                _log($"[{Name}] {line}");
        }
        process.OutputDataReceived += (_, e) => Read(e.Data);
        process.ErrorDataReceived += (_, e) => Read(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process?.Dispose(); // the previous life's, ended
        _process = process;
    }

    private Dictionary<string, string> Settings(IEnumerable<KeyValuePair<string, string>>? lifeSettings)
    {
        var settings = new Dictionary<string, string>(_settings);
        foreach (var (key, value) in lifeSettings ?? []) settings[key] = value;
        return settings;
    }

    /// <summary>Waits until the started node has announced its address and answers <c>/healthz</c> there.</summary>
    public async Task WaitHealthyAsync()
    {
        var process = _process ?? throw new InvalidOperationException($"{Name} was never started");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var listening = _listening.Task;
        while (!listening.IsCompleted)
        {
            if (process.HasExited) throw new InvalidOperationException($"{Name} exited with {process.ExitCode} before it listened");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{Name} never said where it listens");
            await Task.WhenAny(listening, Task.Delay(100));
        }
        var healthz = new Uri(await listening, "healthz");
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"{Name} exited with {process.ExitCode}");
            try
            {
                if ((await probe.GetAsync(healthz)).IsSuccessStatusCode) return;
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

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        lock (_clients)
        {
            foreach (var client in _clients) client.Dispose();
        }
    }

    [GeneratedRegex(@"Now listening on: (?<url>http://\S+)")]
    private static partial Regex ListeningLine();

    /// <summary>Sends each request to the node's current address: same path and query, the port of its latest start.</summary>
    private sealed class CurrentAddress(NodeProcess node) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var current = node.BaseUrl;
            request.RequestUri = new UriBuilder(request.RequestUri!) { Host = current.Host, Port = current.Port }.Uri;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
