using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace FaceSwap.Bench;

/// <summary>
/// The FaceSwap server built in Release, in its own process with a fresh data folder, the in-process Discord
/// sandbox (on a free port of its own), and a bootstrap token; plus the few API calls the benches need.
/// </summary>
public sealed class FaceSwapServer : IAsyncDisposable
{
    public const string Token = "bench-bootstrap-token-0123456789";
    public const string SandboxChannel = "100000000000000002";

    private readonly HostedProcess _process;

    private FaceSwapServer(HostedProcess process, string dataDir)
    {
        _process = process;
        DataDir = dataDir;
        // Commands answer after their engine's first reply or end: on one busy Discord channel that can be minutes.
        Client = CreateClient(TimeSpan.FromMinutes(10));
    }

    public HostedProcess Process => _process;
    public Uri BaseUrl => _process.BaseUrl;
    public string DataDir { get; }
    public HttpClient Client { get; }

    public static async Task<FaceSwapServer> StartAsync(string repo, string work, string name, params (string Key, string Value)[] settings)
    {
        var dll = Path.Combine(repo, "src/FaceSwap.Server/bin/Release/net10.0/FaceSwap.Server.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} is missing: build the server in Release first (bench/run.sh does)");
        var dataDir = Path.Combine(work, name);
        Directory.CreateDirectory(dataDir);
        var args = new List<string>
        {
            $"--FaceSwap:DataDir={dataDir}",
            $"--FaceSwap:Auth:BootstrapToken={Token}",
            "--FaceSwap:Sandbox:Enabled=true",
            "--FaceSwap:Sandbox:BotReplyDelay=00:00:00.050",
        };
        args.AddRange(settings.Select(s => $"--{s.Key}={s.Value}"));
        var process = await HostedProcess.StartAsync(dll, args, Path.Combine(work, name + ".log"), "/healthz");
        return new FaceSwapServer(process, dataDir);
    }

    public HttpClient CreateClient(TimeSpan timeout)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl, "/v1/faceswap/"), Timeout = timeout };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return client;
    }

    /// <summary>Submits a command as multipart (files as PNG) and returns the answered job.</summary>
    public async Task<JsonObject> SubmitAsync(string command, params (string Name, object Value)[] parts)
    {
        using var form = new MultipartFormDataContent();
        foreach (var (name, value) in parts)
        {
            if (value is byte[] bytes)
            {
                var file = new ByteArrayContent(bytes);
                file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
                form.Add(file, name, name + ".png");
            }
            else form.Add(new StringContent(value.ToString()!), name);
        }
        var response = await Client.PostAsync(command, form);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{command} answered {(int)response.StatusCode}: {body}");
        return (JsonObject)JsonNode.Parse(body)!;
    }

    public string JobUrl(string jobId) => new Uri(BaseUrl, $"/v1/faceswap/jobs/?jobid={jobId}").ToString();

    public ValueTask DisposeAsync()
    {
        Client.Dispose();
        return _process.DisposeAsync();
    }
}
