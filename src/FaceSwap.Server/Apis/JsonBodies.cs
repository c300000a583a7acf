using System.Text.Json;
using System.Text.Json.Nodes;
using FaceSwap.Core.Intake;

namespace FaceSwap.Server.Apis;

/// <summary>
/// The JSON bodies the API takes (headshot, accounts, webhook settings), read strictly: bounded in size,
/// duplicate property names refused, and a field of the wrong JSON type a 400 rather than a silent default.
/// </summary>
public static class JsonBodies
{
    private static ReadOnlySpan<byte> Utf8ByteOrderMark => [0xEF, 0xBB, 0xBF];

    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false, MaxDepth = 32 };

    /// <summary>
    /// The body as a JSON object; null when it is not JSON or not an object. Refused (as a <see cref="RefusedException"/>):
    /// a body over <see cref="FieldLimits.MaxJsonBytes"/> (413) and a property named twice (400).
    /// </summary>
    public static async Task<JsonObject?> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var bytes = await ReadBoundedAsync(request.Body, cancellationToken);
        // A leading byte order mark, which some clients send (RFC 8259 §8.1 lets a parser ignore it; the reader does not).
        if (bytes.AsSpan().StartsWith(Utf8ByteOrderMark)) bytes = bytes[Utf8ByteOrderMark.Length..];
        try
        {
            // First, since the duplicate check reads property names, and such a name throws there.
            if (HasHalfSurrogate(bytes))
                throw new RefusedException(400, "Malformed JSON body", "A string escapes half of a surrogate pair (such as \\ud800 alone); send Unicode text.");
            return JsonNode.Parse(bytes, documentOptions: Strict) as JsonObject;
        }
        catch (JsonException)
        {
            if (!HasDuplicates(bytes)) return null;
            throw new RefusedException(400, "Malformed JSON body", "A property is named more than once; send each once.");
        }
    }

    /// <summary>
    /// Whether a string or property name escapes one half of a surrogate pair: well-formed JSON, but no text, so
    /// reading it would throw wherever the field is first used. Parsing leaves escapes unread; this reads them all.
    /// Malformed JSON throws <see cref="JsonException"/>, as parsing would.
    /// </summary>
    private static bool HasHalfSurrogate(byte[] bytes)
    {
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = Strict.MaxDepth });
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || !reader.ValueIsEscaped) continue;
            try
            {
                reader.GetString();
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Whether the body is well-formed JSON whose only fault is a repeated property name.</summary>
    private static bool HasDuplicates(byte[] bytes)
    {
        try
        {
            using var _ = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = Strict.MaxDepth });
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static async Task<byte[]> ReadBoundedAsync(Stream body, CancellationToken cancellationToken)
    {
        try
        {
            return await BoundedRead.ReadAsync(body, FieldLimits.MaxJsonBytes,
                () => new RefusedException(413, "Request is too large", $"A JSON body may have at most {FieldLimits.MaxJsonBytes} bytes."),
                cancellationToken);
        }
        catch (RefusedException)
        {
            await DrainAsync(body);
            throw;
        }
        catch (BadHttpRequestException e)
        {
            throw new RefusedException(e.StatusCode == 413 ? 413 : 400, "Malformed JSON body", e.Message);
        }
    }

    /// <summary>How long a refused request's unread body is read and dropped, so the client gets the answer rather than a reset.</summary>
    private static readonly TimeSpan DrainTime = TimeSpan.FromSeconds(10);

    public static Task DrainAsync(HttpRequest request) => DrainAsync(request.Body);

    /// <summary>
    /// Reads and drops what is left of a refused request's body (Kestrel's body size limit bounds it), so that a
    /// client still sending sees the 4xx instead of a broken connection. Nothing of it is kept.
    /// </summary>
    private static async Task DrainAsync(Stream body)
    {
        using var timeout = new CancellationTokenSource(DrainTime);
        try
        {
            await body.CopyToAsync(Stream.Null, timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or BadHttpRequestException)
        {
            // Too long or too large: Kestrel closes the connection, which is all that is left to do.
        }
    }

    /// <summary>
    /// A field as text: a string, trimmed (empty means absent), or with <paramref name="number"/> a number as
    /// written (ids sent unquoted); absent or null is null. Any other JSON type is a 400, and so is a value
    /// longer than its field's limit.
    /// </summary>
    public static string? Text(JsonObject? body, string name, bool number = false)
    {
        if (body is null || !body.TryGetPropertyValue(name, out var node) || node is null) return null;
        var text = node.GetValueKind() switch
        {
            JsonValueKind.String => node.GetValue<string>().Trim(),
            JsonValueKind.Number when number => node.ToJsonString(),
            _ => throw new RefusedException(Refusal.NotText(name, number)),
        };
        if (FieldLimits.Check(name, text) is { } tooLong) throw new RefusedException(tooLong);
        return text.Length == 0 ? null : text;
    }
}
