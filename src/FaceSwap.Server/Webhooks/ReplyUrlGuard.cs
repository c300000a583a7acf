using FaceSwap.Core.Intake;
using FaceSwap.Core.Webhooks;
using Microsoft.Extensions.Options;

namespace FaceSwap.Server.Webhooks;

/// <summary>
/// The deliverer's egress rules applied where a replyUrl is given, so a receiver on loopback, a LAN or a
/// link-local address is a clear 400 at once instead of a delivery that can never happen. Names are
/// resolved now (bounded in time); the deliverer checks again at connect, where it counts.
/// </summary>
public sealed class ReplyUrlGuard(IOptions<WebhookOptions> options) : IReplyUrlGuard
{
    private static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(5);
    private readonly EgressPolicy _policy = new(options.Value.AllowedHosts, options.Value.AllowedNetworks);

    public async Task<Refusal?> CheckAsync(string field, string replyUrl, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(replyUrl, UriKind.Absolute, out var uri)) return new Refusal(400, $"Param {field} is not a valid http(s) URL");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ResolveTimeout);
        string? refusal;
        try
        {
            refusal = await _policy.RefusalOfHostAsync(uri.IdnHost, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            refusal = $"Refused to deliver to {uri.IdnHost}: it did not resolve within {ResolveTimeout.TotalSeconds:0} s";
        }
        return refusal is null ? null : new Refusal(400, $"Param {field} ({replyUrl}) can not receive callbacks", $"{refusal}. "
            + $"The server's operator can allow it with {WebhookOptions.Section}:AllowedHosts (host names) or {WebhookOptions.Section}:AllowedNetworks (address ranges, e.g. 192.168.1.0/24).");
    }
}
