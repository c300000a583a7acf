using System.Text.Json;
using System.Text.Json.Nodes;
using FaceSwap.Client.Tests.Infrastructure;

namespace FaceSwap.Client.Tests;

/// <summary>The typed job model reads and writes the wire JSON without losing or changing a field.</summary>
public sealed class JobModelTests
{
    private static readonly JsonSerializerOptions Wire = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The API documentation's example of a finished headshot job.</summary>
    private const string DocumentedJob = """
        {
            "jobid": "<jobid>",
            "verb": "faceswap-headshot",
            "status": "completed",
            "created": "2023-09-09T02:04:49.667Z",
            "updated": "2023-09-09T02:19:20.256Z",
            "prompt": "me, a mad king with an evil smile, wearing medieval royal blue attire and a crown. --no green --square",
            "discord": "<ABC…secured…xyz>",
            "server": "<Discord server id>",
            "channel": "<Discord channel id>",
            "messageId": "<Discord message id>",
            "content": "<@Discord user id>  Picsi.Ai Headshot Job Submitted [jobid: 8a1f574fdbf79e8cd57e070476d9d5f3] [credits: 4]",
            "timestamp": "2023-09-09T02:05:24.991000+00:00",
            "attachments": [
                {
                    "url": "<generated image url>",
                    "proxy_url": "<generated proxy image url>",
                    "width": 768,
                    "height": 768,
                    "content_type": "<generated image type>",
                    "id": "<Discord attachment id>",
                    "filename": "<generated image filename>",
                    "size": 7204115
                }
            ],
            "code": 200
        }
        """;

    [Fact]
    public void The_documented_job_reads_into_typed_fields_and_writes_back_the_same()
    {
        var job = JsonSerializer.Deserialize<Job>(DocumentedJob)!;
        Assert.Equal((JobStatus.Completed, Verbs.Headshot, 200), (job.Status, job.Verb, job.Code));
        Assert.Equal(new DateTimeOffset(2023, 9, 9, 2, 4, 49, 667, TimeSpan.Zero), job.Created);
        Assert.True(job.IsTerminal);
        var attachment = Assert.Single(job.Attachments!);
        Assert.Equal((768, 768, 7204115L, "<generated proxy image url>"), (attachment.Width!.Value, attachment.Height!.Value, attachment.Size!.Value, attachment.ProxyUrl));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(DocumentedJob), JsonNode.Parse(JsonSerializer.Serialize(job, Wire))));
    }

    [Fact]
    public void An_unknown_status_and_unknown_fields_survive()
    {
        var job = JsonSerializer.Deserialize<Job>("""{"jobid":"j","status":"paused","futureField":{"a":1},"code":200}""")!;
        Assert.Equal(JobStatus.Unknown, job.Status);
        Assert.False(job.IsTerminal);
        Assert.Equal(1, job.Extra!["futureField"].GetProperty("a").GetInt32());
    }

    [Fact]
    public async Task The_servers_jobs_read_into_the_model_and_write_back_the_same()
    {
        await using var server = await TestServer.StartAsync();
        using var client = server.Client();
        var swapped = await client.SwapAsync(TestServer.Face(seed: 1), TestServer.Face(128, seed: 2), options: ReplyRefOf("ref"));
        using var raw = new HttpClient();
        raw.DefaultRequestHeaders.Authorization = new("Bearer", TestServer.Token);
        var body = await raw.GetStringAsync(new Uri(client.ApiBase, "jobs/?jobid=" + swapped.JobId).ToString());
        var job = JsonSerializer.Deserialize<Job>(body)!;
        Assert.Null(job.Extra);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(body), JsonNode.Parse(JsonSerializer.Serialize(job, Wire))), body);
    }

    private static CommandOptions ReplyRefOf(string reference) => new() { ReplyRef = reference };
}
