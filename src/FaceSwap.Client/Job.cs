using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceSwap.Client;

/// <summary>
/// A job as <c>GET /v1/faceswap/jobs/?jobid=</c> shows it (the API's job model): every field optional, fields
/// the model does not name kept in <see cref="Extra"/>, so a newer server's additions survive a round trip.
/// </summary>
public sealed record Job
{
    [JsonPropertyName("jobid")] public string JobId { get; init; } = "";
    [JsonPropertyName("parentJobId")] public string? ParentJobId { get; init; }
    /// <summary>The command, e.g. <c>faceswap-swapid</c> (see <see cref="Verbs"/>).</summary>
    [JsonPropertyName("verb")] public string? Verb { get; init; }
    [JsonPropertyName("status")] public JobStatus Status { get; init; }
    [JsonPropertyName("created"), JsonConverter(typeof(WireTimestampConverter))] public DateTimeOffset? Created { get; init; }
    [JsonPropertyName("updated"), JsonConverter(typeof(WireTimestampConverter))] public DateTimeOffset? Updated { get; init; }
    [JsonPropertyName("prompt")] public string? Prompt { get; init; }
    [JsonPropertyName("a_background_photo_of")] public string? BackgroundPhotoOf { get; init; }
    [JsonPropertyName("options")] public string? Options { get; init; }
    [JsonPropertyName("image")] public FileEcho? Image { get; init; }
    [JsonPropertyName("source_image")] public FileEcho? SourceImage { get; init; }
    [JsonPropertyName("target_image_gif_or_video")] public FileEcho? TargetImageGifOrVideo { get; init; }
    [JsonPropertyName("idname")] public string? IdName { get; init; }
    [JsonPropertyName("saveid_idname")] public string? SaveIdIdName { get; init; }
    [JsonPropertyName("saveid_image")] public FileEcho? SaveIdImage { get; init; }
    [JsonPropertyName("swapid_idname")] public string? SwapIdIdName { get; init; }
    [JsonPropertyName("swapid_image")] public FileEcho? SwapIdImage { get; init; }
    [JsonPropertyName("targetMessageId")] public string? TargetMessageId { get; init; }
    /// <summary>The Discord token as the API masks it: first and last three characters only.</summary>
    [JsonPropertyName("discord")] public string? Discord { get; init; }
    [JsonPropertyName("server")] public string? Server { get; init; }
    [JsonPropertyName("channel")] public string? Channel { get; init; }
    [JsonPropertyName("messageId")] public string? MessageId { get; init; }
    /// <summary>The bot's text (or the local engine's equivalent), e.g. "… Job Submitted [jobid: …] [credits: 4]".</summary>
    [JsonPropertyName("content")] public string? Content { get; init; }
    /// <summary>The upstream message's time, as the API writes it (<c>2023-09-09T02:05:24.991000+00:00</c>).</summary>
    [JsonPropertyName("timestamp")] public string? Timestamp { get; init; }
    [JsonPropertyName("attachments")] public IReadOnlyList<Attachment>? Attachments { get; init; }
    [JsonPropertyName("embeds")] public IReadOnlyList<Embed>? Embeds { get; init; }
    [JsonPropertyName("error")] public string? Error { get; init; }
    [JsonPropertyName("errorDetails")] public string? ErrorDetails { get; init; }
    [JsonPropertyName("replyUrl")] public string? ReplyUrl { get; init; }
    [JsonPropertyName("replyRef")] public string? ReplyRef { get; init; }
    [JsonPropertyName("code")] public int? Code { get; init; }

    /// <summary>Fields this model does not name.</summary>
    [JsonExtensionData] public IDictionary<string, JsonElement>? Extra { get; init; }

    /// <summary>completed, failed, moderated or cancelled: the job never changes again.</summary>
    [JsonIgnore] public bool IsTerminal => Status.IsTerminal();
}

/// <summary>A job's status. Terminal states never change again.</summary>
[JsonConverter(typeof(JobStatusConverter))]
public enum JobStatus
{
    /// <summary>A status this client does not know (a newer server's).</summary>
    Unknown,
    Created,
    Started,
    Progress,
    Completed,
    Failed,
    Moderated,
    Cancelled,
}

public static class JobStatuses
{
    public static bool IsTerminal(this JobStatus status) =>
        status is JobStatus.Completed or JobStatus.Failed or JobStatus.Moderated or JobStatus.Cancelled;

    public static string ToWire(this JobStatus status) => status.ToString().ToLowerInvariant();

    public static JobStatus Parse(string? wire) =>
        Enum.TryParse<JobStatus>(wire, ignoreCase: true, out var status) && status != JobStatus.Unknown && wire!.All(char.IsAsciiLetterLower)
            ? status
            : JobStatus.Unknown;
}

internal sealed class JobStatusConverter : JsonConverter<JobStatus>
{
    public override JobStatus Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String ? JobStatuses.Parse(reader.GetString()) : JobStatus.Unknown;

    public override void Write(Utf8JsonWriter writer, JobStatus value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToWire());
}

/// <summary>Job times as the API writes them: ISO 8601 UTC with milliseconds, <c>2023-09-09T02:04:49.667Z</c>.</summary>
internal sealed class WireTimestampConverter : JsonConverter<DateTimeOffset?>
{
    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && DateTimeOffset.TryParse(reader.GetString(), System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var time) ? time : null;

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is { } time) writer.WriteStringValue(time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        else writer.WriteNullValue();
    }
}

/// <summary>The job's echo of an uploaded file: its size and type, never its bytes.</summary>
public sealed record FileEcho(
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("type")] string? Type);

/// <summary>A result file. On a FaceSwap server <see cref="Url"/> is hosted by the server for the job's whole life.</summary>
public sealed record Attachment
{
    [JsonPropertyName("id")] public string? Id { get; init; }
    [JsonPropertyName("content_type")] public string? ContentType { get; init; }
    [JsonPropertyName("filename")] public string? FileName { get; init; }
    [JsonPropertyName("url")] public string Url { get; init; } = "";
    /// <summary>On a FaceSwap server it takes <c>&amp;width=&amp;height=</c> for thumbnails.</summary>
    [JsonPropertyName("proxy_url")] public string? ProxyUrl { get; init; }
    [JsonPropertyName("size")] public long? Size { get; init; }
    [JsonPropertyName("width")] public int? Width { get; init; }
    [JsonPropertyName("height")] public int? Height { get; init; }
}

public sealed record Embed
{
    [JsonPropertyName("type")] public string? Type { get; init; }
    [JsonPropertyName("description")] public string? Description { get; init; }
    [JsonPropertyName("image")] public EmbedImage? Image { get; init; }
    [JsonExtensionData] public IDictionary<string, JsonElement>? Extra { get; init; }
}

public sealed record EmbedImage
{
    [JsonPropertyName("url")] public string? Url { get; init; }
    [JsonPropertyName("proxy_url")] public string? ProxyUrl { get; init; }
    [JsonPropertyName("width")] public int? Width { get; init; }
    [JsonPropertyName("height")] public int? Height { get; init; }
}

/// <summary>The <c>verb</c> of each command's jobs.</summary>
public static class Verbs
{
    public const string ListId = "faceswap-listid";
    public const string SaveId = "faceswap-saveid";
    public const string SetId = "faceswap-setid";
    public const string DelId = "faceswap-delid";
    public const string DelAll = "faceswap-delall";
    public const string SwapId = "faceswap-swapid";
    public const string Swap = "faceswap-swap";
    public const string InSwapper = "faceswap-INSwapper";
    public const string Picsi = "faceswap-picsi";
    public const string ChangeBg = "faceswap-changebg";
    public const string Headshot = "faceswap-headshot";
}

/// <summary>The answer of <c>GET /jobs/cancel/?jobid=</c>.</summary>
public sealed record CancelledJob(
    [property: JsonPropertyName("jobid")] string JobId,
    [property: JsonPropertyName("status")] JobStatus Status);
