using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace FaceSwap.Server.Dashboard;

/// <summary>
/// The dashboard's static files (<c>Dashboard/wwwroot</c>, embedded in the server), served at <c>/dashboard/</c>.
/// The pages carry no data and need no token; every data call they make is an API call with the user's token.
/// </summary>
public static class DashboardPages
{
    public const string Path = "/dashboard";

    /// <summary>
    /// Everything comes from this server. <c>blob:</c> images are the browser's own previews of files the user is
    /// about to upload; nothing else may load, frame the page, or be posted elsewhere.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private const string ResourcePrefix = "FaceSwap.Server.Dashboard/";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>
    {
        [".html"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary();

    private sealed record PageFile(byte[] Content, string ContentType, string ETag);

    private static readonly Lazy<FrozenDictionary<string, PageFile>> Files = new(LoadFiles);

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        // One route for /dashboard, /dashboard/ and the files: routing matches the first two alike.
        app.MapGet($"{Path}/{{**file}}", (string? file, HttpContext http) => Serve(file, http)).ExcludeFromDescription();
        return app;
    }

    private static IResult Serve(string? file, HttpContext http)
    {
        // The pages' relative links need the trailing slash.
        if (string.IsNullOrEmpty(file) && http.Request.Path.Value?.EndsWith('/') != true) return Results.Redirect($"{Path}/");
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        if (!Files.Value.TryGetValue(string.IsNullOrEmpty(file) ? "index.html" : file, out var page))
            return Results.Text("Not found", "text/plain; charset=utf-8", statusCode: StatusCodes.Status404NotFound);
        // Revalidated on every load, so a server upgrade never leaves a browser with old scripts.
        headers.CacheControl = "no-cache";
        headers.ETag = page.ETag;
        if (http.Request.Headers.IfNoneMatch == page.ETag) return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Bytes(page.Content, page.ContentType);
    }

    private static FrozenDictionary<string, PageFile> LoadFiles()
    {
        var assembly = typeof(DashboardPages).Assembly;
        var files = new Dictionary<string, PageFile>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var type = ContentTypes.GetValueOrDefault(System.IO.Path.GetExtension(name), "application/octet-stream");
            var etag = $"\"{Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 12))}\"";
            files[name[ResourcePrefix.Length..]] = new PageFile(content, type, etag);
        }
        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
