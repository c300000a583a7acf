namespace FaceSwap.Server.Hosting;

/// <summary>Configuration section <c>FaceSwap</c> (the parts the host reads itself).</summary>
public sealed class ServerOptions
{
    public const string Section = "FaceSwap";

    /// <summary>Database, blobs and keys live here.</summary>
    public string DataDir { get; set; } = "data";

    /// <summary>The address clients reach this server at, for result links; by default the request's own.</summary>
    public string? PublicBaseUrl { get; set; }
}

/// <summary>Configuration section <c>FaceSwap:Uploads</c>.</summary>
public sealed class UploadOptions
{
    public const string Section = "FaceSwap:Uploads";

    /// <summary>The largest file one field may carry (the bot's own GIF limit is 10 MB).</summary>
    public long MaxFileBytes { get; set; } = 10 * 1024 * 1024;
}

/// <summary>Configuration section <c>FaceSwap:Auth</c>.</summary>
public sealed class AuthOptions
{
    public const string Section = "FaceSwap:Auth";

    /// <summary>If set, a user with this token exists (for scripts and tests).</summary>
    public string? BootstrapToken { get; set; }
}

public static class BaseUrls
{
    public static string Of(HttpContext context, ServerOptions options) =>
        options.PublicBaseUrl?.TrimEnd('/') ?? $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";
}
