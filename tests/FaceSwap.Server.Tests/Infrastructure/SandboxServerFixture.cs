using FaceSwap.Sandbox;
using OpenCvSharp;

namespace FaceSwap.Server.Tests.Infrastructure;

/// <summary>The server with the in-process Discord sandbox, tuned so the emulated bot answers in milliseconds.</summary>
public static class SandboxedServer
{
    public const string Channel = "100000000000000002";
    public const string SandboxToken = "sandbox-user-token";

    public static Dictionary<string, string?> Settings(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["FaceSwap:Sandbox:Enabled"] = "true",
            ["FaceSwap:Sandbox:UserToken"] = SandboxToken,
            ["FaceSwap:Sandbox:BotReplyDelay"] = "00:00:00.050",
            ["FaceSwap:Sandbox:AsyncResultDelay"] = "00:00:00.600",
            ["FaceSwap:Discord:FastPollInterval"] = "00:00:00.150",
            ["FaceSwap:Discord:SlowPollMin"] = "00:00:00.300",
            ["FaceSwap:Discord:SlowPollMax"] = "00:00:00.500",
            ["FaceSwap:Discord:InteractionPacing"] = "00:00:00",
            ["FaceSwap:Discord:ReplyTimeout"] = "00:00:30",
            ["FaceSwap:Discord:ServerErrorBackoff"] = "00:00:00.100",
        };
        foreach (var (key, value) in extra) settings[key] = value;
        return settings;
    }

    public static Task<RunningServer> StartAsync(params (string Key, string Value)[] extra) =>
        RunningServer.StartAsync(Settings(extra));

    public static SandboxServer Sandbox(this RunningServer server) => server.Service<SandboxServer>();

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
}
