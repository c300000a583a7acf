using System.Text;
using FaceSwap.Core.Intake;
using FaceSwap.Server.Auth;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace FaceSwap.Server.Apis;

/// <summary>
/// Reads a command request into a <see cref="Submission"/>: multipart (or JSON where the command allows it),
/// each part bounded as it is read, so no body costs more memory than its limits. Only what makes the
/// request unreadable is refused here (413, a malformed body, too many or repeated fields); the intake
/// judges the rest.
/// </summary>
public static class CommandRequest
{
    /// <summary>The longest name a form field may have.</summary>
    private const int MaxFieldName = 64;

    /// <summary>Text beyond a field's own limit that is read before refusing (a value is trimmed before its limit applies).</summary>
    private const int TrimSlack = 256;

    public static async Task<Submission> ReadAsync(HttpContext http, CommandSpec spec, long maxFileBytes)
    {
        var caller = Caller.Of(http);
        var key = IdempotencyKeys.Of(http.Request);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var files = new List<SubmittedFile>();
        var request = http.Request;
        try
        {
            await ReadBodyAsync(http, spec, maxFileBytes, fields, files);
        }
        catch (RefusedException)
        {
            await JsonBodies.DrainAsync(request);
            throw;
        }
        return new Submission(spec, caller.UserId, caller.Token.Id, fields, files, key, Preferences.RespondAsync(request));
    }

    private static async Task ReadBodyAsync(HttpContext http, CommandSpec spec, long maxFileBytes, Dictionary<string, string> fields, List<SubmittedFile> files)
    {
        var request = http.Request;
        if (spec.AcceptsJson && request.HasJsonContentType())
        {
            var body = await JsonBodies.ReadAsync(request, http.RequestAborted)
                ?? throw new RefusedException(400, "Malformed JSON body", "The body is not a JSON object.");
            foreach (var name in spec.Required.Concat(spec.Optional).Concat(CommonFields))
            {
                if (JsonBodies.Text(body, name, number: name == "channel") is { } value) fields[name] = value;
            }
        }
        else if (IsMultipart(request))
        {
            await ReadMultipartAsync(http, spec, maxFileBytes, fields, files);
        }
        else if (request.HasFormContentType)
        {
            await ReadUrlEncodedAsync(http, fields);
        }
    }

    private static readonly string[] CommonFields = ["channel", "replyUrl", "replyRef"];

    private static bool IsMultipart(HttpRequest request) =>
        request.ContentType is { } type && type.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase);

    private static async Task ReadMultipartAsync(HttpContext http, CommandSpec spec, long maxFileBytes,
        Dictionary<string, string> fields, List<SubmittedFile> files)
    {
        var request = http.Request;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType) || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            throw new RefusedException(415, "Unsupported Content-Type", "Send multipart/form-data (or JSON where the command takes it).");
        var boundary = HeaderUtilities.RemoveQuotes(contentType.Boundary).Value;
        if (string.IsNullOrEmpty(boundary) || request.ContentLength == 0)
        {
            // A form with no parts at all (what some clients send for listid or delall) is an empty form.
            if (request.ContentLength is null or < 512) return;
            throw new RefusedException(400, "Malformed multipart/form-data body", "The Content-Type header names no boundary.");
        }
        if (boundary.Length > 128) throw new RefusedException(400, "Malformed multipart/form-data body", "The boundary is longer than 128 characters.");
        var reader = new MultipartReader(boundary, request.Body) { HeadersCountLimit = 8, HeadersLengthLimit = 8 * 1024 };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            var parts = 0;
            while (await reader.ReadNextSectionAsync(http.RequestAborted) is { } section)
            {
                if (++parts > FieldLimits.MaxFormFields)
                    throw new RefusedException(400, $"Too many form fields (max {FieldLimits.MaxFormFields})", "A command has a handful of fields; send each once.");
                // A part without headers (what some clients write for a form with no fields) carries nothing.
                if (section.ContentDisposition is null && section.Headers?.Count is null or 0) continue;
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFormDisposition() && !disposition.IsFileDisposition())
                    throw new RefusedException(400, "Malformed multipart/form-data body", "A part has no Content-Disposition: form-data header.");
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
                if (string.IsNullOrEmpty(name)) throw new RefusedException(400, "Malformed multipart/form-data body", "A part has no field name.");
                if (name.Length > MaxFieldName) throw new RefusedException(400, $"A form field name is too long (max {MaxFieldName} characters)");
                if (!seen.Add(name)) throw new RefusedException(400, $"Param {name} is given more than once", "Send each field once.");
                if (disposition.IsFileDisposition())
                {
                    // Parts of fields the command does not take are skipped unread (the reader drains them).
                    if (!spec.Uploads.ContainsKey(name)) continue;
                    var content = await ReadBoundedAsync(section.Body, maxFileBytes, name, http.RequestAborted);
                    var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? "";
                    files.Add(new SubmittedFile(name, fileName, section.ContentType, content));
                }
                else
                {
                    var value = await ReadTextAsync(section.Body, name, http.RequestAborted);
                    if (value.Length > 0) fields[name] = value;
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new RefusedException(413, "Request is too large", $"Each file may have at most {maxFileBytes} bytes.");
        }
        catch (Exception e) when (e is InvalidDataException or IOException && seen.Count == 0 && request.ContentLength is < 512)
        {
            // A body with no parts at all (some clients write just the boundary lines): an empty form.
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            throw new RefusedException(400, "Malformed multipart/form-data body", Shorten(e.Message));
        }
    }

    private static async Task ReadUrlEncodedAsync(HttpContext http, Dictionary<string, string> fields)
    {
        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(UrlEncodedLimits, http.RequestAborted);
        }
        catch (InvalidDataException e) when (e.Message.Contains("count", StringComparison.OrdinalIgnoreCase))
        {
            throw new RefusedException(400, $"Too many form fields (max {FieldLimits.MaxFormFields})", "A command has a handful of fields; send each once.");
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            throw new RefusedException(400, "Malformed application/x-www-form-urlencoded body", Shorten(e.Message));
        }
        foreach (var (name, values) in form)
        {
            if (values.Count > 1) throw new RefusedException(400, $"Param {name} is given more than once", "Send each field once.");
            var value = values.ToString().Trim();
            if (value.Length > 0) fields[name] = value;
        }
    }

    private static readonly FormOptions UrlEncodedLimits = new()
    {
        ValueCountLimit = FieldLimits.MaxFormFields,
        KeyLengthLimit = MaxFieldName,
        ValueLengthLimit = FieldLimits.MaxJsonBytes,
        BufferBody = false,
    };

    private static Task<byte[]> ReadBoundedAsync(Stream body, long max, string field, CancellationToken cancellationToken) =>
        BoundedRead.ReadAsync(body, max,
            () => new RefusedException(413, $"File {field} is too large", $"More than {max} bytes; the limit is {max} bytes."), cancellationToken);

    private static async Task<string> ReadTextAsync(Stream body, string field, CancellationToken cancellationToken)
    {
        var limit = FieldLimits.For(field);
        using var reader = new StreamReader(body, Encoding.UTF8);
        var buffer = new char[limit + TrimSlack + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await reader.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0) length += read;
        if (length == buffer.Length) throw new RefusedException(Refusal.TooLong(field, limit));
        return new string(buffer, 0, length).Trim();
    }

    private static string Shorten(string message) => message.Length > 200 ? message[..200] + "…" : message;

    /// <summary>Request size limits sized for three files per request plus the form's text.</summary>
    public static void ConfigureLimits(FormOptions form, long maxFileBytes) =>
        form.MultipartBodyLengthLimit = 3 * maxFileBytes + 1024 * 1024;
}
