using FaceSwap.Core.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace FaceSwap.Server.Webhooks;

/// <summary>A user's signing secrets: the current one, and during a rotation the previous one too.</summary>
public sealed record SigningSecrets(string Current, string? Previous, DateTimeOffset? PreviousUntil)
{
    public IEnumerable<string> Live(DateTimeOffset now) =>
        Previous is not null && PreviousUntil > now ? [Current, Previous] : [Current];
}

/// <summary>Per-user webhook secrets, created on first use and encrypted at rest.</summary>
public sealed class WebhookSecrets(IUserStore users, IDataProtectionProvider protection, IOptions<WebhookOptions> options, TimeProvider clock)
{
    private readonly IDataProtector _protector = protection.CreateProtector("FaceSwap.Webhooks.Secret.v1");
    private readonly SemaphoreSlim _creation = new(1, 1);

    public async Task<SigningSecrets> GetAsync(long userId, CancellationToken cancellationToken)
    {
        var settings = await users.GetWebhookSettingsAsync(userId, cancellationToken);
        if (settings.SecretProtected is { } current)
            return new SigningSecrets(_protector.Unprotect(current), settings.PreviousSecretProtected is { } p ? _protector.Unprotect(p) : null, settings.PreviousUntil);
        await _creation.WaitAsync(cancellationToken);
        try
        {
            settings = await users.GetWebhookSettingsAsync(userId, cancellationToken);
            if (settings.SecretProtected is { } created) return new SigningSecrets(_protector.Unprotect(created), null, null);
            var secret = WebhookSigner.NewSecret();
            await users.SetWebhookSecretsAsync(userId, _protector.Protect(secret), null, null, cancellationToken);
            return new SigningSecrets(secret, null, null);
        }
        finally
        {
            _creation.Release();
        }
    }

    /// <summary>A new current secret; the old one keeps signing alongside it for the overlap period.</summary>
    public async Task<SigningSecrets> RotateAsync(long userId, CancellationToken cancellationToken)
    {
        var old = await GetAsync(userId, cancellationToken);
        var rotated = new SigningSecrets(WebhookSigner.NewSecret(), old.Current, clock.GetUtcNow() + options.Value.SecretRotationOverlap);
        await users.SetWebhookSecretsAsync(userId, _protector.Protect(rotated.Current), _protector.Protect(rotated.Previous!), rotated.PreviousUntil, cancellationToken);
        return rotated;
    }
}
