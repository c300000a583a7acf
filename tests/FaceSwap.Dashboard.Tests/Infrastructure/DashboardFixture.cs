using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace FaceSwap.Dashboard.Tests.Infrastructure;

/// <summary>
/// One real server (a local engine channel and the in-process sandbox's Discord channel) and Debian's Chromium
/// driven by Playwright, shared by the dashboard tests. When Chromium or the fixture photos and models are missing,
/// nothing starts and every test skips with the reason.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string SandboxChannel = "100000000000000002";

    /// <summary>Debian's Chromium, never a downloaded browser: the NuGet's own driver runs it.</summary>
    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private IPlaywright? _playwright;
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<IPage, System.Collections.Concurrent.ConcurrentQueue<string>> _pageErrors = new();

    public string? SkipReason { get; private set; }
    public DashboardServer Server { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public WebhookReceiver Receiver { get; private set; } = null!;

    public static string FixturesDir => Environment.GetEnvironmentVariable("FACESWAP_FIXTURES") is { Length: > 0 } dir
        ? dir
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "faceswap-fixtures");

    public static string Fixture(string relative) => Path.Combine(FixturesDir, relative);

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            SkipReason = $"{ChromiumPath} is missing: install Debian's chromium (scripts/setup.sh does)";
            return;
        }
        string[] needed = ["astronaut.png", "face-api/sample2.jpg", "face-api/sample3.jpg", "dlib/shape_predictor_68_face_landmarks.dat",
            "blazeface/face_detection_back_256x256_barracuda.onnx", "haarcascades/haarcascade_frontalface_default.xml"];
        if (needed.Select(Fixture).FirstOrDefault(path => !File.Exists(path)) is { } missing)
        {
            SkipReason = $"fixture {missing} is missing: run scripts/fetch-fixtures.sh (or set FACESWAP_FIXTURES)";
            return;
        }

        Receiver = await WebhookReceiver.StartAsync();
        Server = await DashboardServer.StartAsync(new Dictionary<string, string?>
        {
            ["FaceSwap:Local:BootstrapChannel"] = "true",
            ["FaceSwap:Local:ModelsDir"] = Path.GetDirectoryName(Fixture("blazeface/face_detection_back_256x256_barracuda.onnx")),
            ["FaceSwap:Local:ShapePredictorPath"] = Fixture("dlib/shape_predictor_68_face_landmarks.dat"),
            ["FaceSwap:Local:CascadesDir"] = Path.GetDirectoryName(Fixture("haarcascades/haarcascade_frontalface_default.xml")),
            // The in-process Discord emulator, tuned so its bot answers in milliseconds.
            ["FaceSwap:Sandbox:Enabled"] = "true",
            ["FaceSwap:Sandbox:BotReplyDelay"] = "00:00:00.050",
            ["FaceSwap:Sandbox:AsyncResultDelay"] = "00:00:00.600",
            ["FaceSwap:Discord:FastPollInterval"] = "00:00:00.150",
            ["FaceSwap:Discord:SlowPollMin"] = "00:00:00.300",
            ["FaceSwap:Discord:SlowPollMax"] = "00:00:00.500",
            ["FaceSwap:Discord:InteractionPacing"] = "00:00:00",
            ["FaceSwap:Discord:ReplyTimeout"] = "00:00:30",
            // The receiver listens on loopback, which the egress guard refuses unless opened.
            ["FaceSwap:Webhooks:AllowedNetworks:0"] = "127.0.0.1/32",
        });

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
            Timeout = 120_000,
        });
    }

    public void RequireAvailable() => Skip.If(SkipReason is not null, SkipReason);

    /// <summary>A fresh browser profile (its own sessionStorage), with generous waits for a slow machine.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 860 } });
        context.SetDefaultTimeout(180_000);
        var page = await context.NewPageAsync();
        var errors = _pageErrors.GetOrCreateValue(page);
        // Script errors and refused loads (a Content-Security-Policy violation is one) fail the test; an HTTP error
        // status the page expects (401, 402, 404) is the browser's own note, not a fault of the page.
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource: the server responded with a status of 4", StringComparison.Ordinal))
                errors.Enqueue(message.Text);
        };
        page.PageError += (_, error) => errors.Enqueue(error);
        return page;
    }

    /// <summary>Fails when the page logged a script error or a refused load.</summary>
    public void AssertNoPageErrors(IPage page) =>
        Assert.True(!_pageErrors.TryGetValue(page, out var errors) || errors.IsEmpty,
            "the page logged errors: " + string.Join(" | ", errors ?? new()));

    /// <summary>Opens the dashboard and signs in with the token.</summary>
    public async Task<IPage> SignInAsync(string token = DashboardServer.Token)
    {
        var page = await NewPageAsync();
        await page.GotoAsync(new Uri(Server.BaseUrl, "/dashboard/").ToString());
        await page.FillAsync("#token", token);
        await page.ClickAsync("#signin-button");
        await page.Locator("#live[data-state=live]").WaitForAsync();
        return page;
    }

    /// <summary>Submits a command through the API with <c>Prefer: respond-async</c>; answers the stored job.</summary>
    public static async Task<JsonObject> SubmitAsync(HttpClient client, string verb, params (string Name, object Value)[] parts)
    {
        using var form = new MultipartFormDataContent();
        foreach (var (name, value) in parts)
        {
            if (value is FileInfo file)
            {
                var content = new ByteArrayContent(await File.ReadAllBytesAsync(file.FullName));
                content.Headers.ContentType = new MediaTypeHeaderValue(file.Extension == ".png" ? "image/png" : "image/jpeg");
                form.Add(content, name, file.Name);
            }
            else
            {
                form.Add(new StringContent(value.ToString()!), name);
            }
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, verb) { Content = form };
        request.Headers.Add("Prefer", "respond-async");
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted, body);
        return (JsonObject)JsonNode.Parse(body)!;
    }

    /// <summary>The job once terminal, read with <c>Prefer: wait</c> (no sleeping).</summary>
    public static async Task<JsonObject> WhenDoneAsync(HttpClient client, string jobId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"jobs/?jobid={jobId}");
            request.Headers.Add("Prefer", "wait=20");
            using var response = await client.SendAsync(request);
            var job = (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            if ((string?)job["status"] is "completed" or "failed" or "moderated" or "cancelled") return job;
            Assert.True(DateTime.UtcNow < deadline, $"job {jobId} did not end: {job.ToJsonString()}");
        }
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        if (Server is not null) await Server.DisposeAsync();
        if (Receiver is not null) await Receiver.DisposeAsync();
    }
}
