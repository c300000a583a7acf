using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace FaceSwap.Server.OpenApi;

/// <summary>
/// Security headers for the docs UI (<see cref="ApiDocs.UiPath"/>), where users type their token: like the
/// dashboard's, nothing may load from, connect to or frame the page from another site. Scalar's page starts with
/// one inline script, different for each path it is served at, so the page's policy allows exactly the inline
/// scripts it carries (by hash), read from the page as it is sent. Styles are Scalar's own, inserted by its script.
/// </summary>
public static partial class DocsPagePolicy
{
    private const string Policy =
        "default-src 'none'; script-src 'self'{0}; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; " +
        "connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    [GeneratedRegex(@"<script(?![^>]*\ssrc=)[^>]*>(?<body>.*?)</script>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    public static WebApplication UseDocsPagePolicy(this WebApplication app)
    {
        app.UseWhen(http => http.Request.Path.StartsWithSegments(ApiDocs.UiPath), docs => docs.Use(ApplyAsync));
        return app;
    }

    private static async Task ApplyAsync(HttpContext http, RequestDelegate next)
    {
        var headers = http.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        // Scripts and images pass straight through (scalar.js is megabytes, and may be sent compressed).
        if (Path.HasExtension(http.Request.Path.Value) && !http.Request.Path.Value!.EndsWith(".html", StringComparison.OrdinalIgnoreCase))
        {
            headers.ContentSecurityPolicy = string.Format(Policy, "");
            await next(http);
            return;
        }
        var body = http.Response.Body;
        using var page = new MemoryStream();
        http.Response.Body = page;
        try
        {
            await next(http);
        }
        finally
        {
            http.Response.Body = body;
        }
        var hashes = "";
        if (http.Response.ContentType?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) == true && !headers.ContainsKey("Content-Encoding"))
        {
            hashes = string.Concat(InlineScript().Matches(Encoding.UTF8.GetString(page.GetBuffer(), 0, (int)page.Length))
                .Select(m => $" 'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(m.Groups["body"].Value)))}'"));
        }
        headers.ContentSecurityPolicy = string.Format(Policy, hashes);
        page.Position = 0;
        await page.CopyToAsync(body, http.RequestAborted);
    }
}
