using System.Text.Json;
using System.Text.Json.Nodes;
using FaceSwap.Server.Wire;
using Microsoft.AspNetCore.Http.Features;

namespace FaceSwap.Server.Apis;

/// <summary>An upload that passed the checks: its bytes, and what its bytes say it is.</summary>
public sealed record Upload(string Field, string FileName, byte[] Content, SniffedMedia Media);

/// <summary>A command request's fields and files, read and checked before anything is stored.</summary>
public sealed class CommandInput
{
    public Dictionary<string, string> Fields { get; } = new();
    public Dictionary<string, Upload> Uploads { get; } = new();

    public string? Field(string name) => Fields.GetValueOrDefault(name);

    /// <summary>Reads multipart (or JSON where the command allows it); 413/415/400 as <see cref="ApiException"/>.</summary>
    public static async Task<CommandInput> ReadAsync(HttpContext http, CommandSpec spec, long maxFileBytes)
    {
        var input = new CommandInput();
        var request = http.Request;
        if (spec.AcceptsJson && request.HasJsonContentType())
        {
            await input.ReadJsonAsync(request, http.RequestAborted);
            return input;
        }
        if (!request.HasFormContentType) return input;
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(http.RequestAborted);
        }
        catch (Exception e) when (e is BadHttpRequestException { StatusCode: 413 } || e is InvalidDataException && e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            throw new ApiException(413, "Request is too large", $"Each file may have at most {maxFileBytes} bytes.");
        }
        catch (InvalidDataException) when (request.ContentLength is null or < 512)
        {
            // A form with no parts at all (what clients send for listid or delall) is an empty form.
            return input;
        }
        catch (Exception e) when (e is IOException or BadHttpRequestException)
        {
            throw new ApiException(400, "Malformed multipart/form-data body", e.Message);
        }
        foreach (var (name, values) in form)
        {
            var value = values.ToString().Trim();
            if (value.Length > 0) input.Fields[name] = value;
        }
        foreach (var file in form.Files)
        {
            if (!spec.Uploads.TryGetValue(file.Name, out var kind) || file.Length == 0) continue;
            if (file.Length > maxFileBytes)
                throw new ApiException(413, $"File {file.Name} is too large", $"{file.Length} bytes; the limit is {maxFileBytes} bytes.");
            using var buffer = new MemoryStream((int)file.Length);
            await file.CopyToAsync(buffer, http.RequestAborted);
            var content = buffer.ToArray();
            var media = MediaSniffer.Sniff(content);
            if (media is null || (kind == UploadKind.Image && media.Kind != MediaKind.Image))
            {
                var allowed = kind == UploadKind.Image ? "a PNG, JPEG or WebP image" : "a PNG, JPEG or WebP image, a GIF, or an MP4, MOV or WebM video";
                throw new ApiException(415, $"File {file.Name} is not a supported image",
                    $"Its content is not {allowed} (declared type: {file.ContentType}).");
            }
            input.Uploads[file.Name] = new Upload(file.Name, SafeFileName(file.FileName, media), content, media);
        }
        return input;
    }

    private async Task ReadJsonAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        JsonObject? body;
        try
        {
            body = await JsonNode.ParseAsync(request.Body, cancellationToken: cancellationToken) as JsonObject;
        }
        catch (JsonException e)
        {
            throw new ApiException(400, "Malformed JSON body", e.Message);
        }
        foreach (var (name, node) in body ?? [])
        {
            if (node is JsonValue value && value.TryGetValue<string>(out var text) && text.Trim().Length > 0)
                Fields[name] = text.Trim();
        }
    }

    private static string SafeFileName(string declared, SniffedMedia media)
    {
        var stem = Path.GetFileNameWithoutExtension(declared);
        var clean = new string(stem.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_').Take(64).ToArray());
        return $"{(clean.Length > 0 ? clean : "upload")}.{media.Extension}";
    }

    /// <summary>Request size limits sized for three files per request plus the form's text.</summary>
    public static void ConfigureLimits(FormOptions form, long maxFileBytes) =>
        form.MultipartBodyLengthLimit = 3 * maxFileBytes + 1024 * 1024;
}
