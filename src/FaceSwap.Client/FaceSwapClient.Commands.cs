using System.Net.Http.Headers;

namespace FaceSwap.Client;

/// <summary>The eleven commands (spec section 3). Each answers with its job: finished for a blocking command
/// that ended in time, <c>started</c> for an async one, <c>created</c> with <see cref="CommandOptions.RespondAsync"/>.</summary>
public sealed partial class FaceSwapClient
{
    /// <summary><c>POST /listid</c>: the channel's saved ids, in the job's <c>content</c>.</summary>
    public Task<Job> ListIdAsync(CommandOptions? options = null, CancellationToken cancellationToken = default) =>
        SubmitAsync(HttpMethod.Post, "listid", [], [], options, cancellationToken);

    /// <summary><c>POST /saveid</c>: saves the face in <paramref name="image"/> as <paramref name="idname"/> (letters and digits, ≤ 10).</summary>
    public Task<Job> SaveIdAsync(string idname, FileUpload image, CommandOptions? options = null, CancellationToken cancellationToken = default) =>
        SubmitAsync(HttpMethod.Post, "saveid", [("idname", idname)], [("image", image)], options, cancellationToken);

    /// <summary><c>POST /setid</c>: default ids (<c>a,b</c>, <c>_</c>, <c>a+b</c>) or <c>--greedy</c>/<c>--nogreedy</c>.</summary>
    public Task<Job> SetIdAsync(string idname, CommandOptions? options = null, CancellationToken cancellationToken = default) =>
        SubmitAsync(HttpMethod.Post, "setid", [("idname", idname)], [], options, cancellationToken);

    /// <summary><c>DELETE /delid</c>: deletes one saved id.</summary>
    public Task<Job> DelIdAsync(string idname, CommandOptions? options = null, CancellationToken cancellationToken = default) =>
        SubmitAsync(HttpMethod.Delete, "delid", [("idname", idname)], [], options, cancellationToken);

    /// <summary><c>DELETE /delall</c>: deletes every saved id of the channel.</summary>
    public Task<Job> DelAllAsync(CommandOptions? options = null, CancellationToken cancellationToken = default) =>
        SubmitAsync(HttpMethod.Delete, "delall", [], [], options, cancellationToken);

    /// <summary><c>POST /swapid</c>: puts the saved face(s) <paramref name="idname"/> (e.g. <c>me</c>, <c>a,b</c>, <c>me --oldify 200</c>) onto <paramref name="image"/>.</summary>
    public Task<Job> SwapIdAsync(string idname, FileUpload image, CommandOptions? options = null, CancellationToken cancellationToken = default) =>
        SubmitAsync(HttpMethod.Post, "swapid", [("idname", idname)], [("image", image)], options, cancellationToken);

    /// <summary><c>POST /swap</c>: saveid and swapid in one call (the ids default to <c>id</c>).</summary>
    public Task<Job> SwapAsync(FileUpload saveIdImage, FileUpload swapIdImage, string? saveIdIdName = null, string? swapIdIdName = null,
        CommandOptions? options = null, CancellationToken cancellationToken = default) =>
        SubmitAsync(HttpMethod.Post, "swap", [("saveid_idname", saveIdIdName), ("swapid_idname", swapIdIdName)],
            [("saveid_image", saveIdImage), ("swapid_image", swapIdImage)], options, cancellationToken);

    /// <summary><c>POST /inswapper</c>: swaps the default ids onto the image of a message in the channel.</summary>
    public Task<Job> InSwapperAsync(string targetMessageId, CommandOptions? options = null, CancellationToken cancellationToken = default) =>
        SubmitAsync(HttpMethod.Post, "inswapper", [("targetMessageId", targetMessageId)], [], options, cancellationToken);

    /// <summary><c>POST /picsi</c>: the source face onto a target image, GIF or video (async for GIF and video).</summary>
    public Task<Job> PicsiAsync(FileUpload sourceImage, FileUpload targetImageGifOrVideo, string? picsiOptions = null,
        CommandOptions? options = null, CancellationToken cancellationToken = default) =>
        SubmitAsync(HttpMethod.Post, "picsi", [("options", picsiOptions)],
            [("source_image", sourceImage), ("target_image_gif_or_video", targetImageGifOrVideo)], options, cancellationToken);

    /// <summary><c>POST /changebg</c> (async): a new background, described by <paramref name="backgroundPhotoOf"/>.</summary>
    public Task<Job> ChangeBgAsync(string backgroundPhotoOf, FileUpload image, string? changeBgOptions = null,
        CommandOptions? options = null, CancellationToken cancellationToken = default) =>
        SubmitAsync(HttpMethod.Post, "changebg", [("a_background_photo_of", backgroundPhotoOf), ("options", changeBgOptions)],
            [("image", image)], options, cancellationToken);

    /// <summary><c>POST /headshot</c> (async): a headshot from the prompt (e.g. <c>me, an astronaut --square</c>).</summary>
    public Task<Job> HeadshotAsync(string prompt, string? headshotOptions = null, CommandOptions? options = null, CancellationToken cancellationToken = default) =>
        SubmitAsync(HttpMethod.Post, "headshot", [("prompt", prompt), ("options", headshotOptions)], [], options, cancellationToken);

    /// <summary>
    /// One command as <c>multipart/form-data</c> (what every command takes). With a key (given or made) a
    /// retry after a 5xx or a lost connection returns the first request's job instead of running it twice.
    /// </summary>
    private Task<Job> SubmitAsync(HttpMethod method, string path, (string Name, string? Value)[] fields, (string Name, FileUpload File)[] files,
        CommandOptions? options, CancellationToken cancellationToken)
    {
        options ??= new CommandOptions();
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields.Append(("channel", options.Channel)).Append(("replyUrl", options.ReplyUrl)).Append(("replyRef", options.ReplyRef)))
        {
            if (!string.IsNullOrEmpty(value)) form.Add(new StringContent(value), name);
        }
        foreach (var (name, file) in files)
        {
            var part = new ReadOnlyMemoryContent(file.Content);
            part.Headers.ContentType = new MediaTypeHeaderValue(file.ContentType);
            form.Add(part, name, file.FileName);
        }
        var request = Request(method, path);
        request.Content = form;
        var key = options.IdempotencyKey ?? (Options.AutoIdempotencyKey ? Guid.NewGuid().ToString("N") : null);
        if (key is not null) RetryPolicy.AddIdempotencyKey(request.Headers, key);
        if (options.RespondAsync) request.Headers.TryAddWithoutValidation("Prefer", "respond-async");
        return ReadAsync<Job>(request, cancellationToken);
    }
}
