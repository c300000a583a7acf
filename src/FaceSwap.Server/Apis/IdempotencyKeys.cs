using System.Security.Cryptography;
using System.Text;
using FaceSwap.Server.Wire;

namespace FaceSwap.Server.Apis;

/// <summary>The <c>Idempotency-Key</c> request header (IETF httpapi draft) and the request fingerprint it guards.</summary>
public static class IdempotencyKeys
{
    public const string Header = "Idempotency-Key";

    /// <summary>The key, unquoted; null without the header; 400 for a key that is empty, too long or not printable.</summary>
    public static string? Of(HttpRequest request)
    {
        if (!request.Headers.TryGetValue(Header, out var values)) return null;
        var key = values.ToString().Trim().Trim('"');
        if (key.Length is 0 or > 255 || key.Any(c => c < 0x21 || c > 0x7e))
            throw new ApiException(400, "Header Idempotency-Key is not valid", "Use 1 to 255 printable ASCII characters, e.g. a UUID.");
        return key;
    }

    /// <summary>
    /// A hash of what the request asks for: the command, its text fields and its files' bytes. Multipart
    /// boundaries and field order differ between two sends of the same request, so the raw body would not do.
    /// </summary>
    public static string Fingerprint(CommandSpec spec, CommandInput input)
    {
        var text = new StringBuilder(spec.Verb.ToString()).Append('\n');
        foreach (var (name, value) in input.Fields.OrderBy(f => f.Key, StringComparer.Ordinal))
            text.Append(name).Append('=').Append(value).Append('\n');
        foreach (var (name, upload) in input.Uploads.OrderBy(u => u.Key, StringComparer.Ordinal))
            text.Append(name).Append(":sha256=").Append(Convert.ToHexStringLower(SHA256.HashData(upload.Content))).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
