namespace FaceSwap.Core.Jobs;

/// <summary>An uploaded input as the job echoes it (<c>{size, type}</c>) plus where its bytes live.</summary>
public sealed record InputFile(long Size, string Type, string BlobId, string FileName);

/// <summary>A result file re-hosted by this server; <see cref="Id"/> is unguessable and names it in URLs.</summary>
public sealed record Attachment(
    string Id,
    string ContentType,
    string FileName,
    long Size,
    int? Width,
    int? Height,
    string BlobId,
    string? UpstreamId = null);

/// <summary>The upstream message (the bot's, or the local engine's equivalent) a job reflects.</summary>
public sealed record UpstreamMessage(
    string? MessageId = null,
    string? Content = null,
    string? Timestamp = null,
    string? EmbedsJson = null);

public sealed record Job
{
    public required string Id { get; init; }
    public required long UserId { get; init; }
    /// <summary>Which API token submitted the job (responsible use: every job records its submitter).</summary>
    public long? TokenId { get; init; }
    public required Verb Verb { get; init; }
    public required JobStatus Status { get; init; }
    public required DateTimeOffset Created { get; init; }
    public required DateTimeOffset Updated { get; init; }
    public required string Channel { get; init; }
    /// <summary>The channel's Discord server id, as it was when the job was submitted.</summary>
    public string? Server { get; init; }
    /// <summary>The channel's Discord token, masked (first and last three characters), for debugging.</summary>
    public string? DiscordMasked { get; init; }
    /// <summary>True when the client's request waits for the job (blocking commands).</summary>
    public bool Blocking { get; init; }

    /// <summary>Text inputs by their wire names: idname, prompt, options, targetMessageId, …</summary>
    public IReadOnlyDictionary<string, string> Fields { get; init; } = new Dictionary<string, string>();
    /// <summary>File inputs by their wire names: image, source_image, saveid_image, …</summary>
    public IReadOnlyDictionary<string, InputFile> Files { get; init; } = new Dictionary<string, InputFile>();

    public string? ReplyUrl { get; init; }
    public string? ReplyRef { get; init; }
    /// <summary>Which non-terminal changes the replyUrl hears of (the user's opt-in when the job was submitted).</summary>
    public Webhooks.ReplyEvents ReplyEvents { get; init; }
    public string? ParentJobId { get; init; }

    public UpstreamMessage Upstream { get; init; } = new();
    public IReadOnlyList<Attachment> Attachments { get; init; } = [];
    public string? Error { get; init; }
    public string? ErrorDetails { get; init; }

    /// <summary>Opaque state an engine saves so a restarted server can resume the job (nonce, after-id, …).</summary>
    public string? EngineState { get; init; }

    public string? Field(string name) => Fields.TryGetValue(name, out var value) ? value : null;
}
