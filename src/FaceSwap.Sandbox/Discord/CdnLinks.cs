using System.Security.Cryptography;
using System.Text;

namespace FaceSwap.Sandbox.Discord;

/// <summary>
/// Attachment links in Discord's CDN shape (<c>/attachments/{channel}/{attachment}/{filename}?ex=&amp;is=&amp;hm=</c>),
/// signed so they cannot be guessed, and expiring like Discord's (ex = expiry, is = issued, hm = signature).
/// The proxy link (<c>/media/attachments/…</c>) stands for media.discordapp.net and serves the same file.
/// </summary>
public sealed class CdnLinks
{
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly TimeProvider _clock;
    private readonly TimeSpan _lifetime;

    public CdnLinks(TimeProvider clock, TimeSpan lifetime)
    {
        _clock = clock;
        _lifetime = lifetime;
    }

    public (string Url, string ProxyUrl) For(Uri origin, StoredAttachment attachment)
    {
        var issued = _clock.GetUtcNow().ToUnixTimeSeconds();
        var expires = issued + (long)_lifetime.TotalSeconds;
        string path = $"attachments/{attachment.ChannelId}/{attachment.Id}/{Uri.EscapeDataString(attachment.Filename)}";
        string query = $"?ex={expires:x}&is={issued:x}&hm={Sign(attachment.ChannelId, attachment.Id, expires)}&";
        string root = origin.GetLeftPart(UriPartial.Authority);
        return ($"{root}/{path}{query}", $"{root}/media/{path}{query}");
    }

    public bool IsValid(string channelId, ulong attachmentId, string? ex, string? hm)
    {
        if (ex is null || hm is null) return false;
        if (!long.TryParse(ex, System.Globalization.NumberStyles.HexNumber, null, out long expires)) return false;
        if (expires < _clock.GetUtcNow().ToUnixTimeSeconds()) return false;
        return CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Sign(channelId, attachmentId, expires)), Encoding.ASCII.GetBytes(hm));
    }

    private string Sign(string channelId, ulong attachmentId, long expires) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{channelId}/{attachmentId}/{expires}")));
}
