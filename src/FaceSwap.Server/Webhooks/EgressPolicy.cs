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
        (IPNetwork.Parse("192.88.99.0/24"), "6to4 relay (deprecated)"),
        (IPNetwork.Parse("192.168.0.0/16"), "private"),
        (IPNetwork.Parse("198.18.0.0/15"), "benchmarking"),
        (IPNetwork.Parse("198.51.100.0/24"), "documentation"),
        (IPNetwork.Parse("203.0.113.0/24"), "documentation"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved"),
        (IPNetwork.Parse("::/128"), "unspecified"),
        (IPNetwork.Parse("::1/128"), "loopback"),
        // Deprecated IPv4-compatible addresses (::a.b.c.d): some stacks still route them to the IPv4 inside.
        (IPNetwork.Parse("::/96"), "IPv4-compatible (deprecated)"),
        (IPNetwork.Parse("100::/64"), "discard"),
        // Local-use NAT64 (RFC 8215): translated by a gateway inside the operator's own network.
        (IPNetwork.Parse("64:ff9b:1::/48"), "local-use NAT64"),
        // Tunnels whose far end is an IPv4 address of the tunnel's choosing.
        (IPNetwork.Parse("2001::/32"), "Teredo tunnel"),
        (IPNetwork.Parse("2002::/16"), "6to4 tunnel"),
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
        var literal = IPAddress.TryParse(host.Trim('[', ']'), out var parsed) ? parsed : null;
        IPAddress[] addresses;
        try
        {
            addresses = literal is not null ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        }
        catch (SocketException)
        {
            throw new EgressRefusedException($"Refused to deliver to {host}: it does not resolve");
        }
        if (_allowedHosts.Contains(host)) return addresses;
        var allowed = addresses.Where(IsAllowed).ToList();
        if (allowed.Count == 0) throw new EgressRefusedException($"Refused to deliver to {host}: {Describe(host, literal, addresses)}; {OnlyPublic}");
        return allowed;
    }

    private const string OnlyPublic = "only public addresses are allowed unless the operator allow-lists them";

    private bool IsAllowed(IPAddress address) =>
        RefusalOf(address) is null || _allowedNetworks.Any(n => n.BaseAddress.AddressFamily == address.AddressFamily && n.Contains(address));

    /// <summary>
    /// Why a host is refused, without the addresses a name resolved to: what internal names resolve to is
    /// the operator's business, not something an error text may tell whoever submitted the URL.
    /// </summary>
    private static string Describe(string host, IPAddress? literal, IPAddress[] addresses)
    {
        if (addresses.Length == 0) return "it does not resolve";
        var kinds = string.Join(", ", addresses.Select(RefusalOf).OfType<string>().Distinct());
        return literal is not null ? $"{literal} is {kinds}" : $"{host} resolves only to non-public addresses ({kinds})";
    }

    /// <summary>The checks of a delivery, done now: null when a delivery could reach <paramref name="host"/>, else why not.</summary>
    public async Task<string?> RefusalOfHostAsync(string host, CancellationToken cancellationToken)
    {
        try
        {
            await ResolveAllowedAsync(host, cancellationToken);
            return null;
        }
        catch (EgressRefusedException refused)
        {
            return refused.Message;
        }
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
