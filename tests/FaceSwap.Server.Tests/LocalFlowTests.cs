using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FaceSwap.Server.Tests.Infrastructure;
using OpenCvSharp;

namespace FaceSwap.Server.Tests;

/// <summary>
/// The API on a local channel: real face swaps on this server, with the models and photos that
/// scripts/fetch-fixtures.sh puts in the fixture cache (skipped, with the reason, when they are missing).
/// </summary>
public sealed class LocalFlowTests
{
    private static string FixturesDir => Environment.GetEnvironmentVariable("FACESWAP_FIXTURES") is { Length: > 0 } dir
        ? dir
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "faceswap-fixtures");

    private static string Fixture(string relative)
    {
        var path = Path.Combine(FixturesDir, relative);
        Skip.IfNot(File.Exists(path), $"fixture {path} is missing: run scripts/fetch-fixtures.sh (or set FACESWAP_FIXTURES)");
        return path;
    }

    private static (string Key, string Value)[] LocalSettings() =>
    [
        ("FaceSwap:Local:BootstrapChannel", "true"),
        ("FaceSwap:Local:ModelsDir", Path.GetDirectoryName(Fixture("blazeface/face_detection_back_256x256_barracuda.onnx"))!),
        ("FaceSwap:Local:ShapePredictorPath", Fixture("dlib/shape_predictor_68_face_landmarks.dat")),
        ("FaceSwap:Local:CascadesDir", Path.GetDirectoryName(Fixture("haarcascades/haarcascade_frontalface_default.xml"))!),
    ];

    private static Task<RunningServer> StartAsync(bool sandbox = false)
    {
        // A real swap (and the first model load) takes longer than the emulated bot's usual reply.
        var settings = sandbox
            ? SandboxedServer.Settings([.. LocalSettings(), ("FaceSwap:Discord:ReplyTimeout", "00:00:30")])
            : LocalSettings().ToDictionary(s => s.Key, s => (string?)s.Value);
        return RunningServer.StartAsync(settings);
    }

    private static async Task<JsonObject> PostAsync(RunningServer server, string path, params (string, object)[] parts)
    {
        var response = await server.Client.PostAsync(path, Forms.Multipart(parts));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.BodyAsync());
        return await response.JsonAsync();
    }

    private static bool IsLabelledSynthetic(byte[] image) => Encoding.Latin1.GetString(image).Contains("trainedAlgorithmicMedia");

    [SkippableFact]
    public async Task A_local_channel_saves_and_swaps_real_faces()
    {
        var astronaut = await File.ReadAllBytesAsync(Fixture("astronaut.png"));
        var target = await File.ReadAllBytesAsync(Fixture("face-api/sample2.jpg"));
        await using var server = await StartAsync();

        var account = await (await server.Client.GetAsync("account/local")).JsonAsync();
        Assert.Equal("local", (string?)account["engine"]);
        Assert.Equal("classical", (string?)account["capabilities"]!["tier"]);
        Assert.NotEmpty(account["capabilities"]!["models"]!.AsArray());

        var saved = await PostAsync(server, "saveid", ("idname", "me"), ("image", astronaut));
        Assert.Equal("completed", (string?)saved["status"]);
        Assert.Equal("idname me created", (string?)saved["content"]);

        var swapped = await PostAsync(server, "swapid", ("idname", "me"), ("image", target));
        Assert.Equal("completed", (string?)swapped["status"]);
        Assert.Contains("[SaveID: 'me']", (string?)swapped["content"]);
        using var anonymous = new HttpClient();
        var result = await anonymous.GetByteArrayAsync((string)swapped["attachments"]![0]!["url"]!);
        Assert.True(IsLabelledSynthetic(result), "the result carries the synthetic-media label");
        using var decoded = Cv2.ImDecode(result, ImreadModes.Color);
        using var original = Cv2.ImDecode(target, ImreadModes.Color);
        Assert.Equal(original.Size(), decoded.Size());
        Assert.True(Cv2.Norm(decoded, original, NormTypes.L1) > 0, "the swap changed the image");

        // A thumbnail through proxy_url keeps the aspect ratio and the label.
        var thumbnail = await anonymous.GetByteArrayAsync((string)swapped["attachments"]![0]!["proxy_url"]! + "&width=320");
        using (var small = Cv2.ImDecode(thumbnail, ImreadModes.Color))
        {
            Assert.Equal(320, small.Width);
            Assert.InRange(small.Height, original.Height * 320 / original.Width - 1, original.Height * 320 / original.Width + 1);
        }
        Assert.True(IsLabelledSynthetic(thumbnail), "the thumbnail keeps the synthetic-media label");

        // inswapper on a local channel targets the earlier result by its messageId.
        var again = await PostAsync(server, "inswapper", ("targetMessageId", (string)swapped["messageId"]!));
        Assert.True((string?)again["status"] == "completed", again.ToJsonString());
        Assert.NotNull(again["attachments"]);
    }

    [SkippableFact]
    public async Task A_photo_without_a_face_fails_the_job_with_a_reason()
    {
        Fixture("astronaut.png");
        await using var server = await StartAsync();
        using var flat = new Mat(200, 200, MatType.CV_8UC3, new Scalar(120, 120, 120));
        var job = await PostAsync(server, "saveid", ("idname", "me"), ("image", flat.ImEncode(".png")));
        Assert.Equal("failed", (string?)job["status"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)job["errorDetails"]));
    }

    [SkippableFact]
    public async Task The_sandbox_bot_makes_its_results_with_the_local_engine()
    {
        var astronaut = await File.ReadAllBytesAsync(Fixture("astronaut.png"));
        var target = await File.ReadAllBytesAsync(Fixture("face-api/sample2.jpg"));
        await using var server = await StartAsync(sandbox: true);
        await PostAsync(server, "saveid", ("idname", "me"), ("image", astronaut), ("channel", SandboxedServer.Channel));
        var swapped = await PostAsync(server, "swapid", ("idname", "me"), ("image", target), ("channel", SandboxedServer.Channel));
        Assert.True((string?)swapped["status"] == "completed", swapped.ToJsonString());
        using var anonymous = new HttpClient();
        var result = await anonymous.GetByteArrayAsync((string)swapped["attachments"]![0]!["url"]!);
        Assert.True(IsLabelledSynthetic(result), "the emulated bot's result was made (and labelled) by the local engine");
    }
}
