using Microsoft.AspNetCore.DataProtection;

namespace FaceSwap.Core.Accounts;

/// <summary>Encrypts Discord user tokens at rest with ASP.NET Core Data Protection.</summary>
public sealed class DiscordTokenProtector(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("FaceSwap.Accounts.DiscordToken.v1");

    public string Protect(string token) => _protector.Protect(token);

    public string Unprotect(string protectedToken) => _protector.Unprotect(protectedToken);

    /// <summary>What a job or account shows of a secret: the first and last three characters.</summary>
    public static string Mask(string secret) =>
        secret.Length <= 6 ? "…secured…" : $"{secret[..3]}…secured…{secret[^3..]}";
}
