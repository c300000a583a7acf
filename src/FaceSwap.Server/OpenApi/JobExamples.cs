using System.Text.Json.Nodes;
using FaceSwap.Core.Intake;
using FaceSwap.Core.Jobs;
using FaceSwap.Server.Hosting;
using FaceSwap.Server.Wire;

namespace FaceSwap.Server.OpenApi;

/// <summary>
/// Example jobs for the document. The seed page's own example is kept as the vendor wrote it; every other
/// example is a job rendered by <see cref="JobView"/>, the renderer the API answers with, so examples cannot
/// drift from the real shape.
/// </summary>
public static class JobExamples
{
    /// <summary>The example of the seed page, <c>GET /v1/faceswap/jobs/?jobid=</c>, as the commercial service documents it.</summary>
    public static JsonObject Seed() => JsonNode.Parse(SeedJson)!.AsObject();

    private const string SeedJson = """
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
            "content": "<@Discord user id>  Picsi.Ai Headshot Job Submitted [jobid: 8a1f574fdbf79e8cd57e070476d9d5f3] [credits: 4] [prompt: 'a mad king with an evil smile, wearing medieval royal blue attire and a crown. --no green --square'] [time: <time>] [SaveID: 'me'] (796/800 credits remaining)",
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

    public const string JobId = "8a1f574fdbf79e8cd57e070476d9d5f3";
    public const string Channel = "1100000000000000001";

    private static readonly DateTimeOffset Created = new(2023, 9, 9, 2, 4, 49, 667, TimeSpan.Zero);

    /// <summary>Made-up values for a command's text inputs.</summary>
    private static readonly Dictionary<string, string> SampleFields = new()
    {
        ["idname"] = "me",
        ["saveid_idname"] = "me",
        ["swapid_idname"] = "id",
        ["targetMessageId"] = "1149921547327799416",
        ["prompt"] = "me, a mad king with an evil smile, wearing medieval royal blue attire and a crown. --no green --square",
        ["a_background_photo_of"] = "a beach at sunset",
        ["options"] = "-f",
    };

    /// <summary>What the command answers: the finished job (blocking) or the job with the bot's first reply (async).</summary>
    public static JsonObject Answer(CommandSpec spec)
    {
        var async = spec.Verb.IsAsync();
        var job = Sample(spec) with
        {
            Status = async ? JobStatus.Started : JobStatus.Completed,
            Updated = Created.AddSeconds(async ? 2 : 7),
            Upstream = new UpstreamMessage("1149921601962805268", Content(spec.Verb, async), "2023-09-09T02:04:56.102000+00:00"),
            Attachments = async || !MakesImage(spec.Verb) ? [] : [Result()],
        };
        return JobView.Render(job, ServerHost.DefaultUrl);
    }

    /// <summary>The answer to <c>Prefer: respond-async</c>: the job as stored, before anything ran.</summary>
    public static JsonObject Accepted(CommandSpec spec) => JobView.Render(Sample(spec), ServerHost.DefaultUrl);

    /// <summary>A job that failed (what <c>GET /jobs/?jobid=</c> shows then).</summary>
    public static JsonObject Failed()
    {
        var spec = CommandSpec.All.Single(c => c.Verb == Verb.SwapId);
        return JobView.Render(Sample(spec) with
        {
            Status = JobStatus.Failed,
            Updated = Created.AddSeconds(31),
            Error = "No face found in image",
            ErrorDetails = "The bot found no face to replace in the image you sent.",
        }, ServerHost.DefaultUrl);
    }

    private static Job Sample(CommandSpec spec) => new()
    {
        Id = JobId,
        UserId = 0,
        Verb = spec.Verb,
        Status = JobStatus.Created,
        Created = Created,
        Updated = Created,
        Channel = Channel,
        Server = "1100000000000000000",
        DiscordMasked = "MTA…secured…8Xo",
        Fields = spec.Required.Concat(spec.Optional).Where(SampleFields.ContainsKey).ToDictionary(n => n, n => SampleFields[n]),
        Files = spec.Uploads.Keys.ToDictionary(n => n, n => new InputFile(183422, "image/jpeg", "", n + ".jpg")),
        ReplyRef = "order-1234",
    };

    private static bool MakesImage(Verb verb) => verb is Verb.SwapId or Verb.Swap or Verb.InSwapper or Verb.Picsi or Verb.ChangeBg or Verb.Headshot;

    private static Attachment Result() => new("q3kz7m2x9c4v8b1n5t6y0w", "image/png", "result.png", 1048576, 768, 768, "");

    private static string Content(Verb verb, bool async) => verb switch
    {
        _ when async => $"<@1098765432109876543>  Picsi.Ai {(verb == Verb.Headshot ? "Headshot" : "ChangeBG")} Job Submitted [jobid: {JobId}] [credits: 4] [time: 2 min] (796/800 credits remaining)",
        Verb.ListId => "<@1098765432109876543> Your IDs: me, id. Default IDs: me. Prefer option: --greedy",
        Verb.SaveId => "<@1098765432109876543> idname me created.",
        Verb.SetId => "<@1098765432109876543> Default IDs set to: me",
        Verb.DelId => "<@1098765432109876543> idname me deleted.",
        Verb.DelAll => "<@1098765432109876543> All idnames deleted.",
        _ => "<@1098765432109876543> Done",
    };
}
