using System.Security.Cryptography;
using System.Text;

namespace FaceSwap.Core.Users;

public sealed record User(long Id, string Name, DateTimeOffset Created, DateTimeOffset? Expires)
{
    public bool IsExpired(DateTimeOffset now) => Expires is { } expires && expires <= now;
}

/// <summary>An API token as stored: its hash and a short hint to tell tokens apart, never the token.</summary>
public sealed record ApiToken(long Id, long UserId, string Hint, DateTimeOffset Created, DateTimeOffset? Revoked);

public static class ApiTokens
{
    private const string Prefix = "fs_";

    /// <summary>A new random bearer token (256 bits).</summary>
    public static string Generate() => Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// Tokens are 256 random bits, so one SHA-256 suffices: there is nothing to brute-force that a slow
    /// password hash would protect.
    /// </summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>At most the last four characters, enough to tell tokens apart; a short token shows none.</summary>
    public static string Hint(string token) => token.Length < 16 ? "…" : $"…{token[^4..]}";

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
