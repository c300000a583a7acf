using System.Net;
using System.Text.RegularExpressions;
using static FaceSwap.Sandbox.Tests.TestDiscord;

namespace FaceSwap.Sandbox.Tests;

/// <summary>Signed, expiring attachment links (developers/reference.mdx, "Signed Attachment CDN URLs").</summary>
public sealed class CdnLinkTests
{
    private static async Task<(TestDiscord Discord, string Url, byte[] Png)> AttachmentAsync(Action<SandboxOptions>? configure = null)
    {
        var discord = await StartAsync(configure);
        var png = TestImages.Face();
        discord.Server.State.PostUserMessage(Token, ChannelId, "", new SandboxFile("face.png", png));
        var attachment = (await discord.GetJsonAsync($"channels/{ChannelId}/messages?limit=1"))[0]!["attachments"]![0]!;
        return (discord, (string)attachment["url"]!, png);
    }

    [Fact]
    public async Task Link_carries_hex_expiry_issue_time_and_signature()
    {
        var (discord, url, _) = await AttachmentAsync();
        await using var _ = discord;
        var match = Regex.Match(url, @"/attachments/(\d+)/(\d+)/face\.png\?ex=([0-9a-f]{8})&is=([0-9a-f]{8})&hm=([0-9a-f]{64})&$");
        Assert.True(match.Success, url);
        Assert.Equal(ChannelId, match.Groups[1].Value);
        long issued = Convert.ToInt64(match.Groups[4].Value, 16), expires = Convert.ToInt64(match.Groups[3].Value, 16);
        Assert.Equal(discord.Clock.GetUtcNow().ToUnixTimeSeconds(), issued);
        Assert.Equal(24 * 3600, expires - issued);
    }

    [Fact]
    public async Task Link_serves_the_file_until_it_expires_then_answers_404()
    {
        var (discord, url, png) = await AttachmentAsync(o => o.AttachmentLinkLifetime = TimeSpan.FromHours(1));
        await using var _ = discord;
        using var cdn = new HttpClient(); // no Authorization: the CDN takes none
        Assert.Equal(png, await cdn.GetByteArrayAsync(url));

        discord.Clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(png, await cdn.GetByteArrayAsync(url));
        discord.Clock.Advance(TimeSpan.FromMinutes(1));
        using var expired = await cdn.GetAsync(url);
        Assert.Equal(HttpStatusCode.NotFound, expired.StatusCode);

        // Reading the message again gives a fresh link, as Discord refreshes links it serves.
        var fresh = (string)(await discord.GetJsonAsync($"channels/{ChannelId}/messages?limit=1"))[0]!["attachments"]![0]!["url"]!;
        Assert.NotEqual(url, fresh);
        Assert.Equal(png, await cdn.GetByteArrayAsync(fresh));
    }

    [Theory]
    [InlineData("hm=[0-9a-f]+", "hm=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("ex=[0-9a-f]+", "ex=7fffffff")]
    [InlineData("is=[0-9a-f]+", "is=00000001")]
    [InlineData("face\\.png", "other.png")]
    [InlineData("&hm=[0-9a-f]+", "")]
    public async Task Tampered_link_answers_404(string pattern, string replacement)
    {
        var (discord, url, _) = await AttachmentAsync();
        await using var _ = discord;
        using var cdn = new HttpClient();
        using var response = await cdn.GetAsync(Regex.Replace(url, pattern, replacement));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var proxy = await cdn.GetAsync(Regex.Replace(url.Replace("/attachments/", "/media/attachments/"), pattern, replacement));
        Assert.Equal(HttpStatusCode.NotFound, proxy.StatusCode);
    }
}
