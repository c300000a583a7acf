using System.Net;
using System.Net.Sockets;

namespace FaceSwap.Server.Webhooks;

/// <summary>
/// The SSRF guard of replyUrl deliveries: by default only public addresses are reached. It judges the
/// addresses a host name resolves to, at connect time (so DNS rebinding between a check and the connect
/// cannot slip through), and an operator allow-list opens named hosts or address ranges.
/// </summary>
public sealed class EgressPolicy
{
    private static readonly (IPNetwork Network, string Kind)[] Refused =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "unspecified"),
        (IPNetwork.Parse("10.0.0.0/8"), "private"),
        (IPNetwork.Parse("100.64.0.0/10"), "shared (carrier-grade NAT)"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback"),
        (IPNetwork.Parse("169.254.169.254/32"), "cloud metadata"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local"),
        (IPNetwork.Parse("172.16.0.0/12"), "private"),
        (IPNetwork.Parse("192.0.0.0/24"), "reserved"),
        (IPNetwork.Parse("192.0.2.0/24"), "documentation"),
        (IPNetwork.Parse("192.168.0.0/16"), "private"),
        (IPNetwork.Parse("198.18.0.0/15"), "benchmarking"),
        (IPNetwork.Parse("198.51.100.0/24"), "documentation"),
        (IPNetwork.Parse("203.0.113.0/24"), "documentation"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved"),
        (IPNetwork.Parse("::/128"), "unspecified"),
        (IPNetwork.Parse("::1/128"), "loopback"),
        (IPNetwork.Parse("100::/64"), "discard"),
        (IPNetwork.Parse("2001:db8::/32"), "documentation"),
        (IPNetwork.Parse("fd00:ec2::254/128"), "cloud metadata"),
        (IPNetwork.Parse("fc00::/7"), "private (unique local)"),
        (IPNetwork.Parse("fe80::/10"), "link-local"),
        (IPNetwork.Parse("ff00::/8"), "multicast"),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");

    private readonly HashSet<string> _allowedHosts;
    private readonly IPNetwork[] _allowedNetworks;

    public EgressPolicy(IEnumerable<string> allowedHosts, IEnumerable<string> allowedNetworks)
    {
        _allowedHosts = new HashSet<string>(allowedHosts, StringComparer.OrdinalIgnoreCase);
        _allowedNetworks = allowedNetworks.Select(IPNetwork.Parse).ToArray();
    }

    public static EgressPolicy PublicOnly { get; } = new([], []);

    /// <summary>Why an address is not public (loopback, private, …), or null when it is.</summary>
    public static string? RefusalOf(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) return RefusalOf(address.MapToIPv4());
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && Nat64.Contains(address))
            return RefusalOf(new IPAddress(address.GetAddressBytes()[12..]));
        if (address.Equals(IPAddress.Broadcast)) return "broadcast";
        foreach (var (network, kind) in Refused)
        {
            if (network.BaseAddress.AddressFamily == address.AddressFamily && network.Contains(address)) return kind;
        }
        return null;
    }

    /// <summary>The addresses of <paramref name="host"/> this policy lets a delivery reach, in resolver order.</summary>
    public async Task<IReadOnlyList<IPAddress>> ResolveAllowedAsync(string host, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken);
        if (_allowedHosts.Contains(host)) return addresses;
        var allowed = addresses.Where(a => RefusalOf(a) is null || _allowedNetworks.Any(n => n.BaseAddress.AddressFamily == a.AddressFamily && n.Contains(a))).ToList();
        if (allowed.Count == 0)
        {
            var reasons = string.Join(", ", addresses.Select(a => $"{a} is {RefusalOf(a)}").Distinct());
            throw new EgressRefusedException($"Refused to deliver to {host}: {(reasons.Length > 0 ? reasons : "it does not resolve")}; only public addresses are allowed unless the operator allow-lists them");
        }
        return allowed;
    }

    /// <summary>The connect step of the deliveries' HTTP handler: resolve, judge, then connect to an allowed address.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var addresses = await ResolveAllowedAsync(context.DnsEndPoint.Host, cancellationToken);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses.ToArray(), context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

public sealed class EgressRefusedException(string message) : Exception(message);
