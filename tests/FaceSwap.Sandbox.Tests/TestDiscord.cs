using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FaceSwap.Sandbox;
using FaceSwap.Sandbox.Bot;
using FaceSwap.Sandbox.Discord;
using FaceSwap.Sandbox.Http;
using Microsoft.Extensions.Time.Testing;
using OpenCvSharp;

namespace FaceSwap.Sandbox.Tests;

/// <summary>
/// A started sandbox with one account on fake time, and a client that speaks to it over real HTTP the way the discord
/// engine does: upload, interaction, read the channel. Unless a test says otherwise the bot answers every
/// interaction immediately (one second of fake time later) and nobody else is in the channel.
/// </summary>
public sealed class TestDiscord : IAsyncDisposable
{
    public const string Token = "user-token-1";
    public const string GuildId = "1100000000000000001";
    public const string ChannelId = "1100000000000000002";

    /// <summary>When the fake clock starts: snowflakes need a time after 2015.</summary>
    public static readonly DateTimeOffset Start = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private TestDiscord(SandboxServer server, string userId, FakeTimeProvider clock)
    {
        Server = server;
        UserId = userId;
        Clock = clock;
        Http = ApiClient(server, Token);
    }

    public SandboxServer Server { get; }
    public string UserId { get; }
    public HttpClient Http { get; }
    public FakeTimeProvider Clock { get; }

    public static async Task<TestDiscord> StartAsync(Action<SandboxOptions>? configure = null, FakeTimeProvider? clock = null)
    {
        clock ??= new FakeTimeProvider(Start);
        var options = new SandboxOptions
        {
            Clock = clock,
            BotReplyDelay = TimeSpan.FromSeconds(1),
            AsyncResultDelay = TimeSpan.FromSeconds(10),
            Replies = new ReplyPlanOptions { Seed = 1, Patterns = [ReplyPattern.Immediate], AsyncResults = [AsyncResultStyle.NewMessage], OtherTraffic = 0 },
        };
        configure?.Invoke(options);
        var server = await SandboxServer.StartAsync(options);
        string userId = server.State.AddAccount(Token, GuildId, ChannelId, "tester");
        return new TestDiscord(server, userId, clock);
    }

    /// <summary>A client of the sandbox's API as a Discord client is one: a User-Agent, and the token when given.</summary>
    public static HttpClient ApiClient(SandboxServer server, string? token)
    {
        var client = new HttpClient { BaseAddress = new Uri(server.ApiBaseUrl + "/") };
        client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", "FaceSwapSandboxTests (https://example.invalid, 1.0)");
        if (token is not null) client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", token);
        return client;
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

    /// <summary>
    /// Sends a slash command and asserts Discord's 204 with no body. Returns a snowflake taken just before sending
    /// (the body's nonce): every message the interaction causes has a later id.
    /// </summary>
    public async Task<string> SendAsync(string command, params Option[] options)
    {
        var body = await InteractionBodyAsync(command, options);
        using var response = await PostInteractionAsync(body);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        return (string)body["nonce"]!;
    }

    /// <summary>
    /// Waits until a message matches, newest first, pushing fake time forward in small steps meanwhile (the bot's
    /// delays are fake time), up to <paramref name="fakeTimeLimit"/> of fake time.
    /// </summary>
    public async Task<JsonObject> WaitForMessageAsync(Func<JsonObject, bool> match, TimeSpan? fakeTimeLimit = null)
    {
        var limit = Clock.GetUtcNow() + (fakeTimeLimit ?? TimeSpan.FromMinutes(2));
        var wallDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var found = (await MessagesAsync()).FirstOrDefault(match);
            if (found is not null) return found;
            if (Clock.GetUtcNow() >= limit || DateTime.UtcNow > wallDeadline) throw new TimeoutException("no matching message appeared");
            Clock.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(5);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds, pushing fake time forward in small steps meanwhile.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, TimeSpan? fakeTimeLimit = null)
    {
        var limit = Clock.GetUtcNow() + (fakeTimeLimit ?? TimeSpan.FromMinutes(2));
        var wallDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            if (Clock.GetUtcNow() >= limit || DateTime.UtcNow > wallDeadline) throw new TimeoutException("the condition never held");
            Clock.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(5);
        }
    }

    /// <summary>
    /// The bot's answer (not loading, not the interim text) to the first of our interactions accepted after
    /// <paramref name="sentAfter"/>: interaction ids are snowflakes taken when Discord accepts the interaction, and
    /// the bot answers a channel's interactions in order.
    /// </summary>
    public async Task<JsonObject> WaitForReplyAsync(string sentAfter, TimeSpan? fakeTimeLimit = null)
    {
        ulong after = ulong.Parse(sentAfter);
        JsonObject? answer = null;
        await WaitForMessageAsync(_ =>
        {
            answer = Server.State.Messages(ChannelId)
                .Where(m => m.Interaction is { } meta && meta.User.Id == UserId && meta.InteractionId > after
                            && (m.Flags & MessageFlags.Loading) == 0 && m.Content != BotTexts.Interim(UserId))
                .MinBy(m => m.Interaction!.InteractionId) is { } found
                ? Wire(found)
                : null;
            return answer is not null;
        }, fakeTimeLimit);
        return answer!;
    }

    /// <summary>A bot message caused by our interaction (its metadata names our user), later than <paramref name="sentAfter"/>.</summary>
    public bool IsOurs(JsonObject message, string sentAfter) =>
        (string)message["author"]!["id"]! == Server.State.BotUser.Id
        && message["interaction_metadata"] is { } metadata && (string)metadata["user"]!["id"]! == UserId
        && ulong.Parse((string)message["id"]!) > ulong.Parse(sentAfter);

    /// <summary>
    /// The channel newest first, in the wire shape. Read from the state, so that waiting in a test does not spend
    /// the messages route's rate-limit bucket; the HTTP endpoints have tests of their own.
    /// </summary>
    public Task<IReadOnlyList<JsonObject>> MessagesAsync()
    {
        IReadOnlyList<JsonObject> messages = Server.State.Messages(ChannelId).Reverse().Select(Wire).ToList();
        return Task.FromResult(messages);
    }

    private JsonObject Wire(ChannelMessage message) =>
        JsonSerializer.SerializeToNode(MessageWire.ToWire(message, Server.Origin, Server.State.Cdn, Server.State.FindChannel(ChannelId)!.History),
            DiscordJson.Options)!.AsObject();

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
