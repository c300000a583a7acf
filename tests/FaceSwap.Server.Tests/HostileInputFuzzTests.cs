using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using Dapper;
using FaceSwap.Core.Engines;
using FaceSwap.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace FaceSwap.Server.Tests;

/// <summary>
/// Hostile input against the real server: each known case gets a 4xx in the API's error shape, and a
/// property-based run over every endpoint (random bodies, headers, content types, multipart parts, JSON of
/// random types) never gets a 500 and never leaves anything stored after a refused request.
/// </summary>
public sealed class HostileInputFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Channel = "1100000000000000001";
    private readonly GatedEngine _engine = new() { AutoComplete = true };
    private RunningServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["FaceSwap:Uploads:MaxFileBytes"] = "65536",
            ["FaceSwap:Jobs:BlockingWait"] = "00:00:05",
            // One receiver range is open (nothing listens there), so accepted replyUrls exist too.
            ["FaceSwap:Webhooks:AllowedNetworks:0"] = "127.0.0.2/32",
            // A discord account the fuzz may create reaches nothing: connections are refused at once.
            ["FaceSwap:Discord:ApiBaseUrl"] = "http://127.0.0.1:9/api/v10",
        }, services => services.AddSingleton<IEngine>(_engine));
        await _server.AddAccountAsync(await _server.BootstrapUserIdAsync(), Channel, GatedEngine.DefaultName, "1200000000000000001", "discord-token-abc");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    // ---- Known cases -------------------------------------------------------------------------------------

    private static async Task<JsonObject> AssertRefusedAsync(HttpResponseMessage response, int status, string? error = null)
    {
        Assert.Equal(status, (int)response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal(status, (int?)body["code"]);
        Assert.False(string.IsNullOrEmpty((string?)body["error"]));
        if (error is not null) Assert.Equal(error, (string?)body["error"]);
        return body;
    }

    [Fact]
    public async Task Multipart_without_a_boundary_is_400()
    {
        var before = await StateAsync();
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("idname=me&" + new string('x', 2000)));
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data");
        await AssertRefusedAsync(await _server.Client.PostAsync("saveid", content), 400, "Malformed multipart/form-data body");
        Assert.Equal(before, await StateAsync());
    }

    [Theory]
    [InlineData("webhook", """{"replyUrl":"http://127.0.0.2:9/a","replyUrl":"http://127.0.0.2:9/b"}""")]
    [InlineData("account", """{"replyUrl":"http://127.0.0.2:9/a","replyUrl":null}""")]
    [InlineData("account/1100000000000000005", """{"discord":"a-token","server":"1200000000000000005","channel":"1100000000000000005","channel":"1100000000000000006"}""")]
    [InlineData("headshot", """{"prompt":"me, a queen","prompt":"me, a king"}""")]
    public async Task Duplicate_json_keys_are_400(string path, string json)
    {
        var before = await StateAsync();
        var body = await AssertRefusedAsync(await _server.Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json")), 400, "Malformed JSON body");
        Assert.Contains("more than once", (string?)body["errorDetails"]);
        Assert.Equal(before, await StateAsync());
    }

    [Fact]
    public async Task A_reply_url_of_the_wrong_type_is_400_and_keeps_the_default()
    {
        var json = (string s) => new StringContent(s, Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.NoContent, (await _server.Client.PostAsync("webhook", json("""{"replyUrl":"http://127.0.0.2:9/default"}"""))).StatusCode);
        foreach (var wrong in new[] { """{"replyUrl":{"a":1}}""", """{"replyUrl":5}""", """{"replyUrl":["x"]}""", """{"replyUrl":true}""" })
        {
            await AssertRefusedAsync(await _server.Client.PostAsync("webhook", json(wrong)), 400, "Param replyUrl must be a string");
            await AssertRefusedAsync(await _server.Client.PostAsync("account", json(wrong)), 400, "Param replyUrl must be a string");
        }
        Assert.Equal("http://127.0.0.2:9/default", (string?)(await (await _server.Client.GetAsync("webhook")).JsonAsync())["replyUrl"]);
        await AssertRefusedAsync(await _server.Client.PostAsync("headshot", json("""{"prompt":{"text":"x"}}""")), 400, "Param prompt must be a string");
        await AssertRefusedAsync(await _server.Client.PostAsync($"account/{Channel}", json($$"""{"discord":["t"],"server":"1200000000000000001","channel":"{{Channel}}"}""")),
            400, "Param discord must be a string");
    }

    /// <summary>
    /// A control character in a replyUrl is no URL a receiver has: refused where it is given, on either store
    /// (PostgreSQL refuses NUL in text, which once made the default a 500 and a command's job unable to end).
    /// </summary>
    [Theory]
    [InlineData("http://127.0.0.2:9/a\u0000b")]
    [InlineData("http://127.0.0.2:9/a\u0007b")]
    [InlineData("http://127.0.0.2:9/a\u0085b")]
    public async Task A_reply_url_with_a_control_character_is_400_and_stores_nothing(string url)
    {
        var before = await StateAsync();
        var json = new StringContent(new JsonObject { ["replyUrl"] = url }.ToJsonString(), Encoding.UTF8, "application/json");
        await AssertRefusedAsync(await _server.Client.PostAsync("webhook", json), 400, $"Param replyUrl ({url}) is not a valid http(s) URL");
        await AssertRefusedAsync(await _server.Client.PostAsync("listid", Forms.Multipart(("channel", Channel), ("replyUrl", url))), 400,
            $"Optional param replyUrl ({url}) is not a valid http(s) URL");
        Assert.Equal(before, await StateAsync());
    }

    /// <summary>A job stored with such a replyUrl (before they were refused) is not redelivered to it: a 400, and no delivery row.</summary>
    [Fact]
    public async Task Redelivering_to_a_stored_reply_url_with_a_control_character_is_400()
    {
        var now = DateTimeOffset.UtcNow;
        var job = new FaceSwap.Core.Jobs.Job
        {
            Id = FaceSwap.Core.Jobs.JobIds.NewJobId(), UserId = await _server.BootstrapUserIdAsync(), Verb = FaceSwap.Core.Jobs.Verb.Headshot,
            Status = FaceSwap.Core.Jobs.JobStatus.Completed, Created = now, Updated = now, Channel = Channel,
            Fields = new Dictionary<string, string> { ["prompt"] = "a test" }, ReplyUrl = "http://127.0.0.2:9/a\u0000b",
        };
        Assert.True((await _server.Service<FaceSwap.Core.Storage.IJobStore>().InsertAsync(job, false, CancellationToken.None)).Inserted);
        var before = await StateAsync();
        await AssertRefusedAsync(await _server.Client.PostAsync($"jobs/redeliver?jobid={job.Id}", null), 400,
            $"Job {job.Id} has a replyUrl that is not a valid http(s) URL");
        Assert.Equal(before, await StateAsync());
    }

    /// <summary>JSON may escape half of a surrogate pair (<c>\ud800</c>), which is no text: every JSON body refuses it as malformed.</summary>
    [Theory]
    [InlineData("webhook", """{"replyUrl":"http://127.0.0.2:9/a\ud800"}""")]
    [InlineData("webhook", """{"replyUrl":null,"events":["\udc00"]}""")]
    [InlineData("account", """{"replyUrl":"http://127.0.0.2:9/\ud83d\ud83d"}""")]
    [InlineData("account/studio2", """{"engine":"loc\ud800al"}""")]
    [InlineData("account/studio2", """{"engine":"local","x\udfff":1}""")]
    [InlineData("headshot", """{"prompt":"me\ud800, a queen"}""")]
    public async Task A_json_string_with_half_a_surrogate_pair_is_400(string path, string json)
    {
        var before = await StateAsync();
        var body = await AssertRefusedAsync(await _server.Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json")), 400, "Malformed JSON body");
        Assert.Contains("surrogate", (string?)body["errorDetails"]);
        Assert.Equal(before, await StateAsync());
    }

    /// <summary>The framework's own refusals (no such endpoint, a method it does not take) speak the API's error shape too.</summary>
    [Theory]
    [InlineData("GET", "nope", 404)]
    [InlineData("POST", "jobs/nope/deeper?jobid=x", 404)]
    [InlineData("GET", "saveid", 405)]
    [InlineData("DELETE", "jobs/list", 405)]
    [InlineData("PUT", "webhook", 405)]
    [InlineData("POST", "files/abc/x.png", 405)]
    public async Task An_unknown_endpoint_or_method_is_answered_in_the_error_shape(string method, string path, int status)
    {
        using var anonymous = _server.CreateClient(null);
        foreach (var client in new[] { _server.Client, anonymous })
        {
            using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            var body = await AssertRefusedAsync(response, status);
            Assert.Contains($"/v1/faceswap/{path.Split('?')[0]}", (string?)body["errorDetails"]);
            if (status == 405) Assert.Contains(string.Join(", ", response.Content.Headers.Allow), (string?)body["errorDetails"]);
        }
    }

    public static TheoryData<string, string, int> TooLong => new()
    {
        { "headshot", "prompt", 2000 },
        { "changebg", "a_background_photo_of", 1000 },
        { "headshot", "options", 500 },
        { "swapid", "idname", 200 },
        { "inswapper", "targetMessageId", 64 },
        { "listid", "channel", 64 },
        { "listid", "replyUrl", 1024 },
        { "listid", "replyRef", 1024 },
    };

    [Theory]
    [MemberData(nameof(TooLong))]
    public async Task Every_text_field_has_a_maximum(string path, string field, int max)
    {
        var before = await StateAsync();
        var value = field == "replyUrl" ? "http://127.0.0.2:9/" + new string('a', max) : new string('a', max + 1);
        await AssertRefusedAsync(await _server.Client.PostAsync(path, Forms.Multipart((field, value))), 400, $"Param {field} is too long (max {max} characters)");
        Assert.Equal(before, await StateAsync());
    }

    [Fact]
    public async Task A_huge_prompt_or_token_is_refused_without_being_stored()
    {
        var before = await StateAsync();
        await AssertRefusedAsync(await _server.Client.PostAsync("headshot", Forms.Multipart(("prompt", new string('p', 1024 * 1024)))), 400,
            "Param prompt is too long (max 2000 characters)");
        await AssertRefusedAsync(await _server.Client.PostAsync("headshot",
            new StringContent($$"""{"prompt":"{{new string('p', 3000)}}"}""", Encoding.UTF8, "application/json")), 400, "Param prompt is too long (max 2000 characters)");
        await AssertRefusedAsync(await _server.Client.PostAsync($"account/{Channel}",
            new StringContent($$"""{"discord":"{{new string('t', 300)}}","server":"1200000000000000001","channel":"{{Channel}}"}""", Encoding.UTF8, "application/json")),
            400, "Param discord is too long (max 256 characters)");
        await AssertRefusedAsync(await _server.Client.PostAsync($"account/{Channel}",
            new StringContent($$"""{"discord":"{{new string('t', 1024 * 1024)}}","server":"1200000000000000001","channel":"{{Channel}}"}""", Encoding.UTF8, "application/json")),
            413, "Request is too large");
        await AssertRefusedAsync(await _server.Client.PostAsync("account/1100000000000000005",
            new StringContent($$"""{"discord":"t-token","server":"{{new string('1', 5000)}}","channel":"1100000000000000005"}""", Encoding.UTF8, "application/json")),
            400, "Param server is too long (max 20 characters)");
        Assert.Equal(before, await StateAsync());
        Assert.Equal("dis…secured…abc", (string?)(await (await _server.Client.GetAsync($"account/{Channel}")).JsonAsync())["discord"]);
    }

    [Fact]
    public async Task Too_many_or_repeated_form_fields_have_their_own_message()
    {
        var before = await StateAsync();
        var many = Forms.Multipart(Enumerable.Range(0, 1100).Select(i => ($"f{i}", (object)"x")).ToArray());
        var body = await AssertRefusedAsync(await _server.Client.PostAsync("listid", many), 400, "Too many form fields (max 32)");
        Assert.DoesNotContain("bytes", (string?)body["errorDetails"]);
        var encoded = new FormUrlEncodedContent(Enumerable.Range(0, 1100).Select(i => KeyValuePair.Create($"f{i}", "x")));
        await AssertRefusedAsync(await _server.Client.PostAsync("listid", encoded), 400, "Too many form fields (max 32)");
        await AssertRefusedAsync(await _server.Client.PostAsync("saveid", Forms.Multipart(("idname", "me"), ("idname", "you"), ("image", Forms.Png))), 400,
            "Param idname is given more than once");
        await AssertRefusedAsync(await _server.Client.PostAsync("saveid", Forms.Multipart(("idname", "me"), ("image", Forms.Png), ("image", Forms.Png))), 400,
            "Param image is given more than once");
        Assert.Equal(before, await StateAsync());
    }

    [Fact]
    public async Task A_verb_the_channels_engine_does_not_have_is_400_before_anything_is_stored()
    {
        await _server.AddAccountAsync(await _server.BootstrapUserIdAsync(), "studio", "local");
        var before = await StateAsync();
        var body = await AssertRefusedAsync(await _server.Client.PostAsync("changebg", Forms.Multipart(("channel", "studio"), ("a_background_photo_of", "a beach"), ("image", Forms.Png))),
            400, "The local engine can not run faceswap-changebg");
        Assert.Contains("faceswap-saveid", (string?)body["errorDetails"]);
        Assert.Equal(before, await StateAsync());
    }

    // ---- The property ------------------------------------------------------------------------------------

    /// <summary>What a refused request must leave exactly as it was.</summary>
    private sealed record StoredState(long Jobs, long Blobs, long Deliveries, long IdempotencyKeys, string Accounts, string Settings);

    private async Task<StoredState> StateAsync()
    {
        await using var connection = await _server.OpenDatabaseAsync();
        async Task<long> Count(string table) => await connection.ExecuteScalarAsync<long>($"SELECT count(*) FROM {table}");
        async Task<string> Text(string sql) => await connection.ExecuteScalarAsync<string>(sql) ?? "";
        return new StoredState(await Count("jobs"), await _server.BlobCountAsync(), await Count("deliveries"), await Count("idempotency_keys"),
            await Text("SELECT string_agg(user_id || '|' || channel || '|' || engine || '|' || coalesce(server, '') || '|' || coalesce(discord_token_protected, ''), ';') FROM (SELECT * FROM accounts ORDER BY user_id, channel) a"),
            await Text("SELECT string_agg(id || '|' || coalesce(reply_url, '') || '|' || reply_events, ';') FROM (SELECT * FROM users ORDER BY id) u"));
    }

    /// <summary>One generated request, printable for a failure report.</summary>
    public sealed record Attack(string Method, string Path, string BodyKind, string? ContentType, byte[] Body, (string Name, string Value)[] Headers)
    {
        public override string ToString() =>
            $"{Method} {Path} [{BodyKind}] {ContentType} headers={string.Join(";", Headers.Select(h => $"{h.Name}={Short(h.Value)}"))} body={Short(Encoding.UTF8.GetString(Body))}";

        private static string Short(string s) => s.Length > 300 ? s[..300] + $"…({s.Length})" : s;
    }

    private static readonly string[] Routes =
    [
        "POST listid", "POST saveid", "POST setid", "DELETE delid", "DELETE delall", "POST swapid", "POST swap", "POST inswapper",
        "POST picsi", "POST changebg", "POST headshot", "GET account", "POST account", $"GET account/{Channel}", $"POST account/{Channel}",
        "POST account/1100000000000000007", "DELETE account/1100000000000000007", "POST account/studio", "GET webhook", "POST webhook",
        "POST webhook/rotate", "GET jobs", "GET jobs/", "GET jobs/?jobid=00000000000000000000000000000000", "GET jobs/cancel/?jobid=x",
        "GET jobs/deliveries?jobid=%00", "POST jobs/redeliver?jobid=", "GET jobs/stream?jobid=nope", "GET files/nope/x.png",
        "GET files/%2e%2e/%2e%2e%2fetc%2fpasswd", "GET jobs/list", "GET jobs/list?limit=0&before=1-ab", "GET jobs/list?limit=2&before=%ff",
        "GET nope", "PUT jobs/list",
    ];

    private static readonly string[] FieldNames =
    [
        "idname", "image", "channel", "replyUrl", "replyRef", "prompt", "options", "a_background_photo_of", "targetMessageId",
        "source_image", "target_image_gif_or_video", "saveid_image", "swapid_image", "saveid_idname", "swapid_idname",
        "discord", "server", "engine", "events", "", "x\u0000y", "ünïcödé", "a b", "idname ",
    ];

    private static readonly Gen<string> Words = Gen.OneOf(
        Gen.OneOf("me", "a,b", "_", "a+b+c --oldify 5", "--greedy", "local", "studio", Channel, "1200000000000000001", "1100000000000000007",
            "http://127.0.0.2:9/hook", "http://127.0.0.1/hook", "http://[::1]/", "http://10.0.0.1/", "http://169.254.169.254/", "ftp://x/", "http://",
            "http://[2002:7f00:1::1]/", "http://[::7f00:1]/", "http://[64:ff9b::a00:1]/", "", " ", "null", "0", "-1", "\u0000", "\"", "'", "\\",
            "%00", "../../etc/passwd", "<script>", "{\"a\":1}", "started", "progress", "discord", "local"),
        Gen.String[0, 40],
        Gen.Char["a1 _-,+\u00e9\u200b\ud83d"].Array[0, 3000].Select(a => new string(a)));

    private static readonly Gen<byte[]> FileBytes = Gen.OneOf(
        Gen.Const(Forms.Png), Gen.Const(Forms.Gif), Gen.Byte.Array[0, 200],
        Gen.Const("\u0000\u0000\u0000\u0018ftypmp42"u8.ToArray()), Gen.Const(Forms.Png.Concat(new byte[70000]).ToArray()));

    private static readonly Gen<(string Name, object Value)> Part = Gen.OneOf(
        Gen.Select(Gen.OneOf(Gen.OneOf(FieldNames), Gen.String[0, 80]), Words, (n, v) => (n, (object)v)),
        Gen.Select(Gen.OneOf(FieldNames), FileBytes, (n, v) => (n, (object)v)));

    /// <summary>A multipart body written by hand: field names as generated (quotes, control characters and all), files with a file name.</summary>
    private static byte[] Multipart((string Name, object Value)[] parts)
    {
        using var body = new MemoryStream();
        void Write(string text) => body.Write(Encoding.UTF8.GetBytes(text));
        foreach (var (name, value) in parts)
        {
            var quoted = name.Replace("\r", " ").Replace("\n", " ");
            Write("--fuzz-boundary\r\n");
            if (value is byte[] file)
            {
                Write($"Content-Disposition: form-data; name=\"{quoted}\"; filename=\"{quoted}.png\"\r\nContent-Type: image/png\r\n\r\n");
                body.Write(file);
            }
            else
            {
                Write($"Content-Disposition: form-data; name=\"{quoted}\"\r\n\r\n{value}");
            }
            Write("\r\n");
        }
        Write("--fuzz-boundary--\r\n");
        return body.ToArray();
    }

    private static readonly Gen<string> JsonValueText = Gen.OneOf(
        Words.Select(w => System.Text.Json.JsonSerializer.Serialize(w)),
        Gen.OneOf("1", "-0.5e99", "true", "false", "null", "{}", "[]", "{\"a\":1}", "[\"started\",\"progress\"]", "[\"x\"]", "[1,[2,[3]]]", "1100000000000000001", "\"\\ud800\"", "\"a\\u0000b\""));

    private static readonly Gen<string> JsonBody = Gen.OneOf(
        Gen.Select(Gen.OneOf(FieldNames), JsonValueText).Array[0, 8]
            .Select(members => "{" + string.Join(",", members.Select(m => System.Text.Json.JsonSerializer.Serialize(m.Item1) + ":" + m.Item2)) + "}"),
        Gen.OneOf("", "{", "[1,2]", "\"text\"", "{\"a\":}", "nul", "{\"replyUrl\":\"http://127.0.0.2:9/x\"}", new string('[', 500)),
        Gen.String[0, 200]);

    private static readonly Gen<(string Kind, string? ContentType, byte[] Body)> Bodies = Gen.OneOf(
        Part.Array[0, 8].Select(parts => ("multipart", (string?)"multipart/form-data; boundary=fuzz-boundary", Multipart(parts))),
        Gen.Select(Gen.Byte.Array[0, 1500], Gen.OneOf("multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\"zz\"",
            "multipart/mixed; boundary=b", "multipart/form-data; boundary=" + new string('b', 200)), (bytes, type) => ("raw-multipart", (string?)type, bytes)),
        Gen.Select(JsonBody, Gen.OneOf("application/json", "application/json; charset=utf-16", "text/json", "application/problem+json"),
            (json, type) => ("json", (string?)type, Encoding.UTF8.GetBytes(json))),
        Gen.Select(Gen.Select(Gen.OneOf(FieldNames), Words).Array[0, 8], list => ("urlencoded", (string?)"application/x-www-form-urlencoded",
            Encoding.UTF8.GetBytes(string.Join("&", list.Select(p => Uri.EscapeDataString(p.Item1) + "=" + Uri.EscapeDataString(p.Item2))))) ),
        Gen.Select(Gen.Byte.Array[0, 600], Gen.OneOf<string?>(null, "text/plain", "image/png", "application/octet-stream", "application/x-www-form-urlencoded", ";;;"),
            (bytes, type) => ("bytes", type, bytes)));

    private static readonly Gen<(string, string)[]> Headers = Gen.Select(Gen.Frequency((8, Gen.OneOf("Idempotency-Key", "Prefer", "X-Anything", "Accept")), (1, Gen.Const("Authorization"))),
        Gen.OneOf(Gen.OneOf("k1", "k2", "\"quoted\"", "Bearer nope", "Bearer ", "wait=1", "wait=-5", "wait=999999999999", "", new string('k', 300)), Gen.String[0, 20].Select(s => new string(s.Where(c => c is >= ' ' and < '\u007f').ToArray()))),
        (n, v) => (n, v)).Array[0, 3];

    private static readonly Gen<Attack> Attacks = Gen.Select(Gen.OneOf(Routes), Bodies, Headers, (route, body, headers) =>
    {
        var space = route.IndexOf(' ');
        return new Attack(route[..space], route[(space + 1)..], body.Kind, body.ContentType, body.Body, headers);
    });

    [Fact]
    public async Task No_request_gets_a_500_and_a_refused_one_stores_nothing()
    {
        await _server.AddAccountAsync(await _server.BootstrapUserIdAsync(), "studio", "local");
        var counts = new Dictionary<int, int>();
        await Attacks.SampleAsync(async attack =>
        {
            await QuiesceAsync();
            var before = await StateAsync();
            using var request = new HttpRequestMessage(new HttpMethod(attack.Method), attack.Path);
            if (attack.Body.Length > 0 || attack.ContentType is not null)
            {
                request.Content = new ByteArrayContent(attack.Body);
                if (attack.ContentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", attack.ContentType);
            }
            foreach (var (name, value) in attack.Headers) request.Headers.TryAddWithoutValidation(name, value);
            using var response = await _server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var status = (int)response.StatusCode;
            lock (counts) counts[status] = counts.GetValueOrDefault(status) + 1;
            Assert.True(status < 500, $"{status} for {attack}: {await response.Content.ReadAsStringAsync()}");
            if (status < 400) return;
            if (response.Content.Headers.ContentType?.MediaType == "application/json")
            {
                var body = JsonNode.Parse(await response.Content.ReadAsStringAsync()) as JsonObject;
                Assert.True(body?["error"] is not null && (int?)body["code"] == status, $"{status} without the error shape for {attack}");
            }
            Assert.Equal(before, await StateAsync());
        }, iter: 400, threads: 1, seed: Environment.GetEnvironmentVariable("FUZZ_SEED"));
        output.WriteLine("statuses: " + string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key}×{c.Value}")));
        Assert.Contains(counts.Keys, s => s is >= 200 and < 300);
        Assert.Contains(counts.Keys, s => s is >= 400 and < 500);
    }

    /// <summary>Accepted jobs finish in the background (results, deliveries): wait for that before judging the next request.</summary>
    private async Task QuiesceAsync()
    {
        for (var i = 0; i < 400; i++)
        {
            if (JsonNode.Parse(await _server.Client.GetStringAsync("jobs"))!.AsArray().Count == 0) return;
            await Task.Delay(25);
        }
        throw new TimeoutException("Jobs stayed executing: " + await _server.Client.GetStringAsync("jobs"));
    }
}
