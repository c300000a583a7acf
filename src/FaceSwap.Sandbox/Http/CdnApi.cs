namespace FaceSwap.Sandbox.Http;

/// <summary>
/// The two hosts that are not the API: the upload bucket the client PUTs files to, and the CDN that serves
/// attachments (cdn.discordapp.com and its media proxy). Neither takes the Authorization header, as at Discord;
/// both are protected by unguessable URLs instead.
/// </summary>
public static class CdnApi
{
    public static IEndpointRouteBuilder MapCdnApi(this IEndpointRouteBuilder app)
    {
        app.MapPut("/_uploads/{token}", PutUpload);
        app.MapGet("/attachments/{channel_id}/{attachment_id}/{filename}", GetAttachment);
        app.MapGet("/media/attachments/{channel_id}/{attachment_id}/{filename}", GetAttachment);
        return app;
    }

    private static async Task<IResult> PutUpload(string token, HttpContext context, SandboxState state, SandboxOptions options)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        if (buffer.Length > options.MaxUploadBytes) return Results.StatusCode(413);
        return state.Uploads.Fill(token, buffer.ToArray()) ? Results.Ok() : Results.NotFound();
    }

    private static IResult GetAttachment(string channel_id, string attachment_id, string filename, HttpContext context, SandboxState state)
    {
        var query = context.Request.Query;
        // An expired or forged link answers 404, without saying which: developers/reference.mdx is silent on the
        // status; the text is what users report for expired links (docs/sandbox.md, "Attachment links").
        if (!ulong.TryParse(attachment_id, out ulong id)
            || !state.Cdn.IsValid(channel_id, id, filename, query["ex"], query["is"], query["hm"])
            || state.FindAttachment(id) is not { } attachment
            || attachment.ChannelId != channel_id
            || attachment.Filename != filename)
            return Results.Text("This content is no longer available.", "text/plain", statusCode: 404);
        return Results.File(attachment.Bytes, attachment.ContentType);
    }
}
