using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace FaceSwap.Sandbox.Discord;

/// <summary>
/// Attachment links in Discord's signed form (developers/reference.mdx, "Signed Attachment CDN URLs"):
/// <c>/attachments/{channel}/{attachment}/{filename}?ex=&amp;is=&amp;hm=&amp;</c>, <c>ex</c> the expiry and <c>is</c> the
/// issue time as hex Unix seconds, <c>hm</c> a signature. The proxy link (<c>/media/attachments/…</c>) stands for
/// the media proxy and serves the same file. The signing key is part of the sandbox's saved state, so links stay
/// valid across a restart until they expire.
/// </summary>
public sealed class CdnLinks
{
    private readonly byte[] _key;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _lifetime;

    public CdnLinks(TimeProvider clock, TimeSpan lifetime, byte[]? key = null)
    {
        _clock = clock;
        _lifetime = lifetime;
        _key = key ?? RandomNumberGenerator.GetBytes(32);
    }

    internal byte[] Key => _key;

    public (string Url, string ProxyUrl) For(Uri origin, StoredAttachment attachment)
    {
        var issued = _clock.GetUtcNow().ToUnixTimeSeconds();
        var expires = issued + (long)_lifetime.TotalSeconds;
        string path = $"attachments/{attachment.ChannelId}/{attachment.Id}/{Uri.EscapeDataString(attachment.Filename)}";
        string query = $"?ex={expires:x8}&is={issued:x8}&hm={Sign(attachment.ChannelId, attachment.Id, attachment.Filename, issued, expires)}&";
        string root = origin.GetLeftPart(UriPartial.Authority);
        return ($"{root}/{path}{query}", $"{root}/media/{path}{query}");
    }

    /// <summary>The signature matches the path and both times, and the expiry has not passed.</summary>
    public bool IsValid(string channelId, ulong attachmentId, string filename, string? ex, string? @is, string? hm)
    {
        if (ex is null || @is is null || hm is null) return false;
        if (!long.TryParse(ex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long expires)
            || !long.TryParse(@is, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long issued))
            return false;
        if (expires <= _clock.GetUtcNow().ToUnixTimeSeconds()) return false;
        return CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Sign(channelId, attachmentId, filename, issued, expires)), Encoding.ASCII.GetBytes(hm));
    }

    private string Sign(string channelId, ulong attachmentId, string filename, long issued, long expires) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{channelId}/{attachmentId}/{filename}/{issued}/{expires}")));
}
