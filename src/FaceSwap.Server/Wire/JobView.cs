using System.Text.Json.Nodes;
using FaceSwap.Core.Jobs;

namespace FaceSwap.Server.Wire;

/// <summary>
/// A job exactly as the API shows it (the seed's model): field names and order as the commercial service
/// writes them, fields without a value omitted, result links pointing at this server.
/// </summary>
public static class JobView
{
    /// <summary>How job bodies are written: '+' in timestamps stays '+' (bodies are JSON, never HTML).</summary>
    public static readonly System.Text.Json.JsonSerializerOptions WireJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Input fields in the order the model lists them.</summary>
    private static readonly string[] TextInputsFirst = ["prompt", "a_background_photo_of", "options"];
    private static readonly string[] FileInputs = ["image", "source_image", "target_image_gif_or_video"];
    private static readonly string[] TextInputsThen = ["idname", "saveid_idname"];
    private static readonly string[] SwapFiles = ["saveid_image"];
    private static readonly string[] SwapNames = ["swapid_idname"];
    private static readonly string[] SwapFilesThen = ["swapid_image"];
    private static readonly string[] TextInputsLast = ["targetMessageId"];

    public static JsonObject Render(Job job, string baseUrl)
    {
        var view = new JsonObject { ["jobid"] = job.Id };
        Add(view, "parentJobId", job.ParentJobId);
        view["verb"] = job.Verb.ToWire();
        view["status"] = job.Status.ToWire();
        view["created"] = Timestamp(job.Created);
        view["updated"] = Timestamp(job.Updated);
        foreach (var name in TextInputsFirst) Add(view, name, job.Field(name));
        foreach (var name in FileInputs) AddFile(view, job, name);
        foreach (var name in TextInputsThen) Add(view, name, job.Field(name));
        foreach (var name in SwapFiles) AddFile(view, job, name);
        foreach (var name in SwapNames) Add(view, name, job.Field(name));
        foreach (var name in SwapFilesThen) AddFile(view, job, name);
        foreach (var name in TextInputsLast) Add(view, name, job.Field(name));
        Add(view, "discord", job.DiscordMasked);
        Add(view, "server", job.Server);
        view["channel"] = job.Channel;
        Add(view, "messageId", job.Upstream.MessageId);
        Add(view, "content", job.Upstream.Content);
        Add(view, "timestamp", job.Upstream.Timestamp);
        if (job.Attachments.Count > 0)
            view["attachments"] = new JsonArray(job.Attachments.Select(a => (JsonNode)Attachment(a, baseUrl)).ToArray());
        if (job.Upstream.EmbedsJson is { } embeds && JsonNode.Parse(embeds) is JsonArray { Count: > 0 } array)
            view["embeds"] = array;
        Add(view, "error", job.Error);
        Add(view, "errorDetails", job.ErrorDetails);
        Add(view, "replyUrl", job.ReplyUrl);
        Add(view, "replyRef", job.ReplyRef);
        view["code"] = 200;
        return view;
    }

    public static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'");

    public static string FileUrl(string baseUrl, Attachment attachment) =>
        $"{baseUrl}/v1/faceswap/files/{attachment.Id}/{Uri.EscapeDataString(attachment.FileName)}";

    private static JsonObject Attachment(Attachment attachment, string baseUrl)
    {
        var url = FileUrl(baseUrl, attachment);
        var view = new JsonObject
        {
            ["url"] = url,
            ["proxy_url"] = url + "?proxy=true",
        };
        if (attachment.Width is { } width) view["width"] = width;
        if (attachment.Height is { } height) view["height"] = height;
        view["content_type"] = attachment.ContentType;
        view["id"] = attachment.Id;
        view["filename"] = attachment.FileName;
        view["size"] = attachment.Size;
        return view;
    }

    private static void AddFile(JsonObject view, Job job, string name)
    {
        if (job.Files.TryGetValue(name, out var file))
            view[name] = new JsonObject { ["size"] = file.Size, ["type"] = file.Type };
    }

    private static void Add(JsonObject view, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value)) view[name] = value;
    }
}
