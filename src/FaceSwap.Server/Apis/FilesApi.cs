using FaceSwap.Core.Storage;
using FaceSwap.Server.Wire;

namespace FaceSwap.Server.Apis;

/// <summary>
/// Result files re-hosted by this server. Like a CDN link, the unguessable attachment id is the
/// capability, so these links work in an &lt;img&gt; tag without a token, for the job's whole life.
/// </summary>
public static class FilesApi
{
    public static IEndpointRouteBuilder MapFilesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/faceswap/files/{attachmentId}/{fileName}", GetFile);
        return app;
    }

    private static async Task<IResult> GetFile(string attachmentId, string fileName, HttpContext http, IJobStore jobs, IBlobStore blobs)
    {
        var attachment = await jobs.FindAttachmentAsync(attachmentId, http.RequestAborted);
        if (attachment is null) return ApiError.Result(404, $"Unable to locate file {attachmentId}");
        var content = await blobs.GetAsync(attachment.BlobId, http.RequestAborted);
        if (content is null) return ApiError.Result(410, "File has expired");
        http.Response.Headers.CacheControl = "private, max-age=31536000, immutable";
        // The stored type is what the bytes were sniffed as; browsers must not guess another.
        http.Response.Headers.XContentTypeOptions = "nosniff";
        if (Thumbnails.Requested(http.Request) is { } box && attachment.ContentType is "image/png" or "image/jpeg" or "image/webp")
            content = Thumbnails.Fit(content, attachment.ContentType, box.Width, box.Height);
        return Results.File(content, attachment.ContentType, attachment.FileName);
    }
}
