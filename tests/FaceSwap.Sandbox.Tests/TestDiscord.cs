using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FaceSwap.Sandbox;
using OpenCvSharp;

namespace FaceSwap.Sandbox.Tests;

/// <summary>
/// A started sandbox with one account, and a client that speaks to it over real HTTP the way the discord engine
/// does: upload, interaction, poll the channel.
/// </summary>
public sealed class TestDiscord : IAsyncDisposable
{
    public const string Token = "user-token-1";
    public const string GuildId = "1100000000000000001";
    public const string ChannelId = "1100000000000000002";

    private TestDiscord(SandboxServer server, string userId)
    {
        Server = server;
        UserId = userId;
        Http = new HttpClient { BaseAddress = new Uri(server.ApiBaseUrl + "/") };
        Http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", Token);
    }

    public SandboxServer Server { get; }
    public string UserId { get; }
    public HttpClient Http { get; }

    public static async Task<TestDiscord> StartAsync(Action<SandboxOptions>? configure = null)
    {
        var options = new SandboxOptions
        {
            BotReplyDelay = TimeSpan.FromMilliseconds(20),
            AsyncResultDelay = TimeSpan.FromMilliseconds(300),
        };
        configure?.Invoke(options);
        var server = await SandboxServer.StartAsync(options);
        string userId = server.State.AddAccount(Token, GuildId, ChannelId, "tester");
        return new TestDiscord(server, userId);
    }

    /// <summary>Lifts every route limit, for tests that send many commands.</summary>
    public static void Unlimited(SandboxOptions options)
    {
        foreach (var route in SandboxRoutes.All) options.RateLimits[route] = new(10_000, TimeSpan.FromSeconds(1));
        options.GlobalRequestsPerSecond = 10_000;
    }

    public async Task<JsonNode> GetJsonAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private JsonNode? _commandIndex;

    /// <summary>A command from the guild's index, fetched once and cached as the engine does (refresh: fetch again).</summary>
    public async Task<JsonObject> CommandAsync(string name, bool refresh = false)
    {
        if (refresh || _commandIndex is null) _commandIndex = await GetJsonAsync($"guilds/{GuildId}/application-command-index");
        return _commandIndex["application_commands"]!.AsArray().Select(c => c!.AsObject()).Single(c => (string)c["name"]! == name);
    }

    /// <summary>The two-step upload; returns the upload_filename an interaction names.</summary>
    public async Task<string> UploadAsync(string filename, byte[] bytes)
    {
        using var reserve = await Http.PostAsJsonAsync($"channels/{ChannelId}/attachments",
            new { files = new[] { new { id = "0", filename, file_size = bytes.Length } } });
        Assert.Equal(HttpStatusCode.OK, reserve.StatusCode);
        var slot = JsonNode.Parse(await reserve.Content.ReadAsStringAsync())!["attachments"]![0]!;
        using var put = new HttpClient();
        using var stored = await put.PutAsync((string)slot["upload_url"]!, new ByteArrayContent(bytes));
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        return (string)slot["upload_filename"]!;
    }

    public sealed record Option(string Name, string? Text = null, (string Filename, byte[] Bytes)? File = null);

    /// <summary>Builds the interaction body of docs/discord-wire.md: uploads the files, then names them.</summary>
    public async Task<JsonObject> InteractionBodyAsync(string command, params Option[] options)
    {
        var definition = await CommandAsync(command);
        var optionList = new JsonArray();
        var attachments = new JsonArray();
        foreach (var option in options)
        {
            if (option.File is { } file)
            {
                string id = attachments.Count.ToString();
                attachments.Add(new JsonObject
                {
                    ["id"] = id, ["filename"] = file.Filename, ["uploaded_filename"] = await UploadAsync(file.Filename, file.Bytes),
                });
                optionList.Add(new JsonObject { ["type"] = 11, ["name"] = option.Name, ["value"] = int.Parse(id) });
            }
            else
            {
                optionList.Add(new JsonObject { ["type"] = 3, ["name"] = option.Name, ["value"] = option.Text });
            }
        }
        return new JsonObject
        {
            ["type"] = 2,
            ["application_id"] = Server.State.Commands.ApplicationId,
            ["guild_id"] = GuildId,
            ["channel_id"] = ChannelId,
            ["session_id"] = "0123456789abcdef0123456789abcdef",
            ["nonce"] = Server.State.Ids.Next().ToString(),
            ["data"] = new JsonObject
            {
                ["version"] = (string)definition["version"]!,
                ["id"] = (string)definition["id"]!,
                ["name"] = command,
                ["type"] = (int)definition["type"]!,
                ["options"] = optionList,
                ["attachments"] = attachments,
            },
        };
    }

    public async Task<HttpResponseMessage> PostInteractionAsync(JsonObject body) =>
        await Http.PostAsync("interactions", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));

    /// <summary>Sends a slash command and returns its nonce; asserts Discord's 204.</summary>
    public async Task<string> SendAsync(string command, params Option[] options)
    {
        var body = await InteractionBodyAsync(command, options);
        using var response = await PostInteractionAsync(body);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        return (string)body["nonce"]!;
    }

    /// <summary>Polls the channel (as the engine does) until a message matches, newest first.</summary>
    public async Task<JsonObject> WaitForMessageAsync(Func<JsonObject, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (DateTime.UtcNow < deadline)
        {
            var found = (await MessagesAsync()).FirstOrDefault(match);
            if (found is not null) return found;
            await Task.Delay(50);
        }
        throw new TimeoutException("no matching message appeared");
    }

    public Task<JsonObject> WaitForReplyAsync(string nonce, TimeSpan? timeout = null) =>
        WaitForMessageAsync(m => (string?)m["nonce"] == nonce, timeout);

    /// <summary>
    /// The channel newest first, in the wire shape. Read from the state, so that waiting in a test does not spend
    /// the messages route's rate-limit bucket; the HTTP endpoint has tests of its own.
    /// </summary>
    public Task<IReadOnlyList<JsonObject>> MessagesAsync()
    {
        IReadOnlyList<JsonObject> messages = Server.State.Messages(ChannelId).Reverse()
            .Select(m => JsonSerializer.SerializeToNode(global::FaceSwap.Sandbox.Http.MessageWire.ToWire(m, Server.Origin, Server.State.Cdn),
                global::FaceSwap.Sandbox.Discord.DiscordJson.Options)!.AsObject())
            .ToList();
        return Task.FromResult(messages);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>Test images made on the fly, so nothing binary is committed.</summary>
public static class TestImages
{
    /// <summary>A picture with structure (a "face" to the sandbox's face check).</summary>
    public static byte[] Face(int width = 64, int height = 64, int seed = 1)
    {
        using var mat = new Mat(height, width, MatType.CV_8UC3, new Scalar(40 * seed % 255, 90, 160));
        Cv2.Circle(mat, new Point(width / 2, height / 2), Math.Min(width, height) / 3, new Scalar(220, 200, (30 * seed) % 255), -1);
        Cv2.ImEncode(".png", mat, out byte[] png);
        return png;
    }

    /// <summary>One flat colour: the sandbox finds no face in it.</summary>
    public static byte[] Blank(int side = 64)
    {
        using var mat = new Mat(side, side, MatType.CV_8UC3, new Scalar(128, 128, 128));
        Cv2.ImEncode(".png", mat, out byte[] png);
        return png;
    }

    /// <summary>The smallest GIF header: enough for the bot to treat the target as animated.</summary>
    public static byte[] Gif() =>
        [.. "GIF89a"u8, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x3B];
}
