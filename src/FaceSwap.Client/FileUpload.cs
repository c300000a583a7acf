namespace FaceSwap.Client;

/// <summary>A file part of a command (an image, GIF or video).</summary>
public sealed record FileUpload(string FileName, ReadOnlyMemory<byte> Content, string ContentType)
{
    /// <summary>Reads a file; its type from its first bytes, else from its extension.</summary>
    public static async Task<FileUpload> FromFileAsync(string path, CancellationToken cancellationToken = default)
    {
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        return FromBytes(Path.GetFileName(path), bytes);
    }

    public static FileUpload FromBytes(string fileName, byte[] content) => new(fileName, content, SniffType(content, fileName));

    private static string SniffType(ReadOnlySpan<byte> bytes, string fileName)
    {
        if (bytes.StartsWith(new byte[] { 0x89, 0x50, 0x4E, 0x47 })) return "image/png";
        if (bytes.StartsWith(new byte[] { 0xFF, 0xD8, 0xFF })) return "image/jpeg";
        if (bytes.StartsWith("GIF8"u8)) return "image/gif";
        if (bytes.Length >= 12 && bytes[..4].SequenceEqual("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8)) return "image/webp";
        if (bytes.Length >= 12 && bytes[4..8].SequenceEqual("ftyp"u8)) return "video/mp4";
        return Path.GetExtension(fileName).ToLowerInvariant() switch
        {
            ".png" => "image/png",
            ".jpg" or ".jpeg" => "image/jpeg",
            ".gif" => "image/gif",
            ".webp" => "image/webp",
            ".mp4" => "video/mp4",
            ".webm" => "video/webm",
            _ => "application/octet-stream",
        };
    }
}

/// <summary>What every command may carry besides its own fields.</summary>
public sealed record CommandOptions
{
    /// <summary>The channel to run on; optional when the user has one account (or for swap, picsi, changebg).</summary>
    public string? Channel { get; init; }
    /// <summary>Called when the job ends (≤ 1024 characters).</summary>
    public string? ReplyUrl { get; init; }
    /// <summary>Echoed in the job (≤ 1024 characters).</summary>
    public string? ReplyRef { get; init; }
    /// <summary>
    /// The request's <c>Idempotency-Key</c>: a repeat with the same key returns the first job. Unset: a new key
    /// per call when <see cref="FaceSwapClientOptions.AutoIdempotencyKey"/> is on.
    /// </summary>
    public string? IdempotencyKey { get; init; }
    /// <summary><c>Prefer: respond-async</c>: the server answers 202 as soon as the job is stored.</summary>
    public bool RespondAsync { get; init; }
}
