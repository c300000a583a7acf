using FaceSwap.Client;
using FaceSwap.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenCvSharp;

namespace FaceSwap.Client.Tests.Infrastructure;

/// <summary>
/// The real FaceSwap server on a loopback port with its own data folder and the in-process Discord sandbox
/// (its emulated bot answering in milliseconds), as the server's own tests start it.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    public const string Token = "client-tests-token-0123456789";
    public const string SandboxChannel = "100000000000000002";

    private TestServer(WebApplication app, string dataDir, Uri baseUrl)
    {
        App = app;
        DataDir = dataDir;
        BaseUrl = baseUrl;
    }

    public WebApplication App { get; }
    public string DataDir { get; }
    /// <summary>The server's root, e.g. http://127.0.0.1:41234/.</summary>
    public Uri BaseUrl { get; }

    public static async Task<TestServer> StartAsync(params (string Key, string Value)[] extra)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "faceswap-client-tests", Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string?>
        {
            ["FaceSwap:Sandbox:Enabled"] = "true",
            ["FaceSwap:Sandbox:UserToken"] = "sandbox-user-token",
            ["FaceSwap:Sandbox:BotReplyDelay"] = "00:00:00.050",
            ["FaceSwap:Sandbox:AsyncResultDelay"] = "00:00:00.600",
            ["FaceSwap:Discord:FastPollInterval"] = "00:00:00.150",
            ["FaceSwap:Discord:SlowPollMin"] = "00:00:00.300",
            ["FaceSwap:Discord:SlowPollMax"] = "00:00:00.500",
            ["FaceSwap:Discord:InteractionPacing"] = "00:00:00",
            ["FaceSwap:Discord:ReplyTimeout"] = "00:00:30",
            ["FaceSwap:Discord:ServerErrorBackoff"] = "00:00:00.100",
            // Deliveries to a receiver on loopback (the SSRF guard refuses non-public addresses unless opened).
            ["FaceSwap:Webhooks:AllowedNetworks:0"] = "127.0.0.0/8",
            ["FaceSwap:Webhooks:RetrySchedule:0"] = "00:00:00",
            ["FaceSwap:Webhooks:RetrySchedule:1"] = "00:00:00.300",
            ["FaceSwap:Webhooks:RequestTimeout"] = "00:00:05",
        };
        foreach (var (key, value) in extra) settings[key] = value;
        string[] args = ["--urls", "http://127.0.0.1:0", $"--FaceSwap:DataDir={dataDir}", $"--FaceSwap:Auth:BootstrapToken={Token}", "--FaceSwap:Local:BootstrapChannel=false"];
        var app = await ServerHost.BuildAsync(args, builder => builder.Configuration.AddInMemoryCollection(settings));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestServer(app, dataDir, new Uri(address));
    }

    /// <summary>A client as a user without dependency injection makes it.</summary>
    public FaceSwapClient Client(Action<FaceSwapClientOptions>? configure = null) => new(BaseUrl, Token, configure);

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A real PNG with structure (a gradient and a disc), which the emulated bot accepts as a face photo.</summary>
    public static byte[] FacePhoto(int size = 96, int seed = 1)
    {
        using var image = new Mat(size, size, MatType.CV_8UC3);
        for (var y = 0; y < size; y++)
            for (var x = 0; x < size; x++)
                image.Set(y, x, new Vec3b((byte)(x * 255 / size), (byte)(y * 255 / size), (byte)(seed * 40 % 255)));
        Cv2.Circle(image, new Point(size / 2, size / 2), size / 4, new Scalar(30, 60, 200), -1);
        return image.ImEncode(".png");
    }

    public static FileUpload Face(int size = 96, int seed = 1) => FileUpload.FromBytes($"face{seed}.png", FacePhoto(size, seed));
}
