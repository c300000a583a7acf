using System.Net;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using FaceSwap.Core.Engines;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Users;
using FaceSwap.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FaceSwap.Server.Tests;

/// <summary>The dashboard's own endpoints: <c>GET /jobs/list</c> (paged) and <c>GET /jobs/events</c> (SSE).</summary>
public sealed class DashboardApiTests
{
    private const string Channel = "1100000000000000001";
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(60);

    private static Job StoredJob(long userId, DateTimeOffset created, string? id = null) => new()
    {
        Id = id ?? JobIds.NewJobId(),
        UserId = userId,
        Verb = Verb.Headshot,
        // Stored as finished, so no engine picks them up: these tests are about listing.
        Status = JobStatus.Completed,
        Created = created,
        Updated = created,
        Channel = Channel,
        Fields = new Dictionary<string, string> { ["prompt"] = "a test" },
    };

    [Fact]
    public async Task Jobs_list_pages_newest_first_without_losing_jobs_created_in_the_same_millisecond()
    {
        await using var server = await RunningServer.StartAsync();
        var userId = await server.BootstrapUserIdAsync();
        var (other, _) = await server.AddUserAsync("mallory");
        var store = server.Service<IJobStore>();
        var start = DateTimeOffset.UtcNow.AddMinutes(-10);
        var mine = new List<Job>();
        // Three jobs share each millisecond, so page boundaries fall between jobs of the same instant.
        for (var i = 0; i < 11; i++) mine.Add(StoredJob(userId, start.AddMilliseconds(i / 3)));
        foreach (var job in mine) Assert.True((await store.InsertAsync(job, false, CancellationToken.None)).Inserted);
        for (var i = 0; i < 4; i++) Assert.True((await store.InsertAsync(StoredJob(other.Id, start.AddMilliseconds(i)), false, CancellationToken.None)).Inserted);
        var expected = mine.OrderByDescending(j => j.Created.ToUnixTimeMilliseconds()).ThenByDescending(j => j.Id, StringComparer.Ordinal).Select(j => j.Id).ToList();

        var seen = new List<string>();
        string? before = null;
        var pages = 0;
        do
        {
            var page = await (await server.Client.GetAsync($"jobs/list?limit=4{(before is null ? "" : $"&before={before}")}")).JsonAsync();
            var jobs = page["jobs"]!.AsArray();
            Assert.InRange(jobs.Count, 1, 4);
            seen.AddRange(jobs.Select(j => (string)j!["jobid"]!));
            before = (string?)page["next"];
            pages++;
        } while (before is not null);

        Assert.Equal(expected, seen);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task Each_listed_job_is_exactly_what_the_job_page_shows()
    {
        var engine = new GatedEngine { AutoComplete = true };
        await using var server = await RunningServer.StartAsync(services: s => s.AddSingleton<IEngine>(engine));
        await server.AddAccountAsync(await server.BootstrapUserIdAsync(), Channel, GatedEngine.DefaultName);
        var posted = await server.Client.PostAsync("saveid", Forms.Multipart(("idname", "me"), ("image", Forms.Png)));
        Assert.True(posted.IsSuccessStatusCode, await posted.BodyAsync());
        var jobId = (string)(await posted.JsonAsync())["jobid"]!;

        var listed = (await (await server.Client.GetAsync("jobs/list")).JsonAsync())["jobs"]!.AsArray().Single()!;
        var page = JsonNode.Parse(await server.Client.GetStringAsync($"jobs/?jobid={jobId}"))!;
        Assert.True(JsonNode.DeepEquals(page, listed), listed.ToJsonString());
        Assert.NotNull(listed["attachments"]![0]!["proxy_url"]);
    }

    [Fact]
    public async Task Jobs_list_refuses_a_bad_limit_or_cursor_in_the_error_shape_and_needs_a_token()
    {
        await using var server = await RunningServer.StartAsync();
        foreach (var query in new[] { "limit=0", "limit=201", "limit=ten", "limit=-1", "before=nonsense", "before=12-XYZ", "before=-abc", "before=99999999999999999999-ab" })
        {
            var response = await server.Client.GetAsync($"jobs/list?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var error = await response.JsonAsync();
            Assert.Equal(400, (int)error["code"]!);
            Assert.StartsWith("Query param ", (string)error["error"]!);
        }
        Assert.Equal("""{"jobs":[]}""", await server.Client.GetStringAsync("jobs/list?limit=200"));
        using var anonymous = server.CreateClient(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("jobs/list")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("jobs/events")).StatusCode);
    }

    [Fact]
    public async Task Job_events_stream_each_change_of_the_callers_jobs_and_never_another_users()
    {
        var engine = new GatedEngine();
        await using var server = await RunningServer.StartAsync(services: s => s.AddSingleton<IEngine>(engine));
        await server.AddAccountAsync(await server.BootstrapUserIdAsync(), Channel, GatedEngine.DefaultName);
        var (other, otherToken) = await server.AddUserAsync("mallory");
        await server.AddAccountAsync(other.Id, Channel, GatedEngine.DefaultName);
        using var otherClient = server.CreateClient(otherToken);

        await using var events = await EventStream.OpenAsync(server.Client, "jobs/events");
        Assert.Equal("ready", (await events.NextAsync()).Event);

        // Another user's job runs to its end first; then ours. Events arrive in publication order, so once ours
        // has completed, any event of theirs would already have come.
        var theirs = (string)(await (await otherClient.PostAsync("headshot", Forms.Multipart(("prompt", "x")))).JsonAsync())["jobid"]!;
        engine.Open(theirs);
        await CommandsTests.PollUntilTerminalAsync(otherClient, theirs);
        var ours = (string)(await (await server.Client.PostAsync("headshot", Forms.Multipart(("prompt", "y")))).JsonAsync())["jobid"]!;
        engine.Open(ours);

        var statuses = new List<string>();
        JsonNode last;
        do
        {
            var next = await events.NextAsync();
            Assert.Equal("job", next.Event);
            last = JsonNode.Parse(next.Data)!;
            Assert.Equal(ours, (string?)last["jobid"]);
            statuses.Add((string)last["status"]!);
        } while ((string?)last["status"] != "completed");
        Assert.Contains("started", statuses);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(await server.Client.GetStringAsync($"jobs/?jobid={ours}")), last));
    }

    [Fact]
    public async Task Job_events_keep_idle_connections_alive_and_end_once_the_token_is_revoked()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RunningServer.StartAsync(services: s => s.AddSingleton<TimeProvider>(clock));
        var (user, token) = await server.AddUserAsync("alice");
        using var client = server.CreateClient(token);
        await using var events = await EventStream.OpenAsync(client, "jobs/events");
        Assert.Equal("text/event-stream", events.ContentType);
        Assert.Equal("ready", (await events.NextAsync()).Event);

        clock.Advance(new JobsOptions().StreamKeepAlive);
        Assert.Equal(": keep-alive", await events.NextCommentAsync());

        await server.Service<IUserStore>().RevokeTokensAsync(user.Id, CancellationToken.None);
        clock.Advance(new JobsOptions().StreamKeepAlive);
        Assert.Null(await events.NextCommentAsync());
    }

    /// <summary>
    /// A job's own stream (<c>jobs/stream</c>) holds as long as its job runs (up to the stream lifetime): like
    /// <c>jobs/events</c>, it must end once the token that opened it is revoked or its subscription ends.
    /// </summary>
    [Fact]
    public async Task A_jobs_stream_ends_once_the_token_is_revoked_or_the_subscription_ends()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var engine = new GatedEngine();
        await using var server = await RunningServer.StartAsync(services: s => s.AddSingleton<TimeProvider>(clock).AddSingleton<IEngine>(engine));
        var keepAlive = new JobsOptions().StreamKeepAlive;
        var (alice, aliceToken) = await server.AddUserAsync("alice");
        var (bob, bobToken) = await server.AddUserAsync("bob", expires: clock.GetUtcNow() + 1.5 * keepAlive);
        await server.AddAccountAsync(alice.Id, Channel, GatedEngine.DefaultName);
        await server.AddAccountAsync(bob.Id, Channel, GatedEngine.DefaultName);
        using var aliceClient = server.CreateClient(aliceToken);
        using var bobClient = server.CreateClient(bobToken);
        var aliceJob = (string)(await (await aliceClient.PostAsync("headshot", Forms.Multipart(("prompt", "x")))).JsonAsync())["jobid"]!;
        var bobJob = (string)(await (await bobClient.PostAsync("headshot", Forms.Multipart(("prompt", "y")))).JsonAsync())["jobid"]!;
        await using var aliceStream = await EventStream.OpenAsync(aliceClient, $"jobs/stream?jobid={aliceJob}");
        await using var bobStream = await EventStream.OpenAsync(bobClient, $"jobs/stream?jobid={bobJob}");
        Assert.Equal("job", (await aliceStream.NextAsync()).Event);
        Assert.Equal("job", (await bobStream.NextAsync()).Event);

        // Both still valid at the first keep-alive.
        clock.Advance(keepAlive);
        Assert.Equal(": keep-alive", await aliceStream.NextCommentAsync());
        Assert.Equal(": keep-alive", await bobStream.NextCommentAsync());

        // At the next one, alice's token is revoked and bob's subscription has ended: both streams end.
        await server.Service<IUserStore>().RevokeTokensAsync(alice.Id, CancellationToken.None);
        clock.Advance(keepAlive);
        Assert.Null(await aliceStream.NextCommentAsync());
        Assert.Null(await bobStream.NextCommentAsync());
        engine.Open(aliceJob);
        engine.Open(bobJob);
    }

    [Fact]
    public async Task The_dashboard_pages_need_no_token_allow_only_this_server_and_load_nothing_from_elsewhere()
    {
        await using var server = await RunningServer.StartAsync();
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.BaseUrl };
        var bare = await http.GetAsync("/dashboard");
        Assert.Equal(HttpStatusCode.Redirect, bare.StatusCode);
        Assert.Equal("/dashboard/", bare.Headers.Location?.OriginalString);

        // Every file the page loads, found by following index.html's src/href and each module's imports.
        var pending = new Queue<string>(["/dashboard/"]);
        var served = new Dictionary<string, HttpResponseMessage>();
        while (pending.TryDequeue(out var path))
        {
            if (served.ContainsKey(path)) continue;
            var response = await http.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
            Assert.Equal(Dashboard.DashboardPages.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            served[path] = response;
            var text = await response.Content.ReadAsStringAsync();
            var references = Regex.Matches(text, """(?:src|href)="([^"#][^"]*)"|from '([^']+)'""").Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value);
            foreach (var reference in references)
            {
                Assert.False(reference.Contains(':') || reference.StartsWith("//"), $"{path} loads {reference} from elsewhere");
                pending.Enqueue(new Uri(new Uri(server.BaseUrl, path), reference).AbsolutePath);
            }
        }
        Assert.Superset(new HashSet<string> { "/dashboard/", "/dashboard/app.js", "/dashboard/api.js", "/dashboard/style.css", "/dashboard/icon.svg" }, served.Keys.ToHashSet());
        Assert.Equal("text/html", served["/dashboard/"].Content.Headers.ContentType?.MediaType);
        Assert.Equal("text/javascript", served["/dashboard/app.js"].Content.Headers.ContentType?.MediaType);

        using var revalidation = new HttpRequestMessage(HttpMethod.Get, "/dashboard/app.js");
        revalidation.Headers.TryAddWithoutValidation("If-None-Match", served["/dashboard/app.js"].Headers.ETag!.ToString());
        Assert.Equal(HttpStatusCode.NotModified, (await http.SendAsync(revalidation)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/dashboard/missing.js")).StatusCode);
        // The pages are public; the data behind them is not.
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/v1/faceswap/jobs/list")).StatusCode);
    }

    /// <summary>A server-sent event stream read line by line.</summary>
    private sealed class EventStream : IAsyncDisposable
    {
        private readonly HttpResponseMessage _response;
        private readonly StreamReader _reader;

        private EventStream(HttpResponseMessage response, StreamReader reader)
        {
            _response = response;
            _reader = reader;
        }

        public string? ContentType => _response.Content.Headers.ContentType?.MediaType;

        public static async Task<EventStream> OpenAsync(HttpClient client, string path)
        {
            var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return new EventStream(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
        }

        /// <summary>The next event, skipping comments.</summary>
        public async Task<(string Event, string Data)> NextAsync()
        {
            string? name = null, data = null;
            while (await ReadLineAsync() is { } line)
            {
                if (line.Length == 0 && name is not null) return (name, data ?? "");
                if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line["event: ".Length..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line["data: ".Length..];
            }
            throw new EndOfStreamException("The event stream ended");
        }

        /// <summary>The next comment line, or null when the stream ends.</summary>
        public async Task<string?> NextCommentAsync()
        {
            while (await ReadLineAsync() is { } line)
                if (line.StartsWith(':')) return line;
            return null;
        }

        private async Task<string?> ReadLineAsync() => await _reader.ReadLineAsync().WaitAsync(EventTimeout);

        public ValueTask DisposeAsync()
        {
            _reader.Dispose();
            _response.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
