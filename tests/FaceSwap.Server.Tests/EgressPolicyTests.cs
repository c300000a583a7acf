using System.Net;
using FaceSwap.Server.Webhooks;

namespace FaceSwap.Server.Tests;

/// <summary>The replyUrl SSRF guard: every refused address class, IPv4 and IPv6, names that resolve to them, and the allow-list.</summary>
public sealed class EgressPolicyTests
{
    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.255.1.2", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("10.1.2.3", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("172.31.255.255", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("fd12:3456::1", "private (unique local)")]
    [InlineData("169.254.10.20", "link-local")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("239.255.255.250", "multicast")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("169.254.169.254", "cloud metadata")]
    [InlineData("fd00:ec2::254", "cloud metadata")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("::", "unspecified")]
    [InlineData("100.64.0.1", "shared (carrier-grade NAT)")]
    [InlineData("255.255.255.255", "broadcast")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("::ffff:10.0.0.1", "private")]
    [InlineData("64:ff9b::a9fe:a9fe", "cloud metadata")]
    [InlineData("64:ff9b::7f00:1", "loopback")]
    [InlineData("64:ff9b:1::a00:1", "local-use NAT64")]
    [InlineData("::7f00:1", "IPv4-compatible (deprecated)")]
    [InlineData("::a00:1", "IPv4-compatible (deprecated)")]
    [InlineData("::8.8.8.8", "IPv4-compatible (deprecated)")]
    [InlineData("2002:7f00:1::1", "6to4 tunnel")]
    [InlineData("2002:c0a8:101::1", "6to4 tunnel")]
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo tunnel")]
    [InlineData("192.88.99.1", "6to4 relay (deprecated)")]
    [InlineData("::ffff:169.254.169.254", "cloud metadata")]
    public void Non_public_addresses_are_refused(string address, string kind) =>
        Assert.Equal(kind, EgressPolicy.RefusalOf(IPAddress.Parse(address)));

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::808:808")]
    [InlineData("2a00:1450:4001::1")]
    public void Public_addresses_pass(string address) => Assert.Null(EgressPolicy.RefusalOf(IPAddress.Parse(address)));

    [Fact]
    public async Task A_name_that_resolves_to_loopback_is_refused()
    {
        var refused = await Assert.ThrowsAsync<EgressRefusedException>(() => EgressPolicy.PublicOnly.ResolveAllowedAsync("localhost", CancellationToken.None));
        Assert.Contains("loopback", refused.Message);
        // What the name resolved to is not told.
        Assert.DoesNotContain("127.0.0.1", refused.Message);
        Assert.DoesNotContain("::1", refused.Message);
    }

    [Theory]
    [InlineData("10.0.0.5")]
    [InlineData("[::1]")]
    [InlineData("169.254.169.254")]
    public async Task Literal_addresses_are_judged_too(string host) =>
        await Assert.ThrowsAsync<EgressRefusedException>(() => EgressPolicy.PublicOnly.ResolveAllowedAsync(host, CancellationToken.None));

    [Fact]
    public async Task The_allow_list_opens_named_hosts_and_ranges()
    {
        var byNetwork = new EgressPolicy([], ["127.0.0.0/8", "fd00::/8"]);
        Assert.Equal([IPAddress.Loopback], await byNetwork.ResolveAllowedAsync("127.0.0.1", CancellationToken.None));
        Assert.Single(await byNetwork.ResolveAllowedAsync("fd00::5", CancellationToken.None));
        await Assert.ThrowsAsync<EgressRefusedException>(() => byNetwork.ResolveAllowedAsync("10.0.0.1", CancellationToken.None));

        var byName = new EgressPolicy(["localhost"], []);
        Assert.NotEmpty(await byName.ResolveAllowedAsync("localhost", CancellationToken.None));
    }
}
