using FaceSwap.Core.Intake;

namespace FaceSwap.Server.Apis;

/// <summary>The <c>Idempotency-Key</c> request header (IETF httpapi draft); the intake keeps the keys.</summary>
public static class IdempotencyKeys
{
    public const string Header = "Idempotency-Key";

    /// <summary>The key, unquoted; null without the header; 400 for a key that is empty, too long or not printable.</summary>
    public static string? Of(HttpRequest request)
    {
        if (!request.Headers.TryGetValue(Header, out var values)) return null;
        var key = values.ToString().Trim().Trim('"');
        if (key.Length is 0 or > 255 || key.Any(c => c < 0x21 || c > 0x7e))
            throw new RefusedException(400, "Header Idempotency-Key is not valid", "Use 1 to 255 printable ASCII characters, e.g. a UUID.");
        return key;
    }
}
