using System.Security.Cryptography;

namespace FaceSwap.Core.Jobs;

public static class JobIds
{
    /// <summary>128 random bits in hex: unguessable, so an id alone reveals nothing about other jobs.</summary>
    public static string NewJobId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Result files are reachable by this id alone (like a CDN link), so it carries 192 random bits.</summary>
    public static string NewAttachmentId() => Users.ApiTokens.Base64Url(RandomNumberGenerator.GetBytes(24));
}
