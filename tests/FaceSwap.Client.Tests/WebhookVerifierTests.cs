using System.Collections.Concurrent;
using FaceSwap.Client.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace FaceSwap.Client.Tests;

/// <summary>The receiver's signature check against the server's real deliveries to a receiver on loopback.</summary>
public sealed class WebhookVerifierTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private FaceSwapClient _client = null!;
    private Peer _receiver = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        _client = _server.Client();
        _receiver = await Peer.StartAsync((_, response) =>
        {
            response.StatusCode = 204;
            return Task.CompletedTask;
        });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    private static IEnumerable<KeyValuePair<string, string>> Headers(PeerRequest call) => call.Headers;

    private static IEnumerable<KeyValuePair<string, string>> With(PeerRequest call, string name, string value) =>
        call.Headers.Where(h => h.Key != name).Append(KeyValuePair.Create(name, value));

    [Fact]
    public async Task The_servers_deliveries_verify_and_tampered_or_old_ones_do_not()
    {
        var settings = await _client.GetWebhookSettingsAsync();
        Assert.StartsWith("whsec_", settings.Secret);
        var job = await _client.ListIdAsync(new CommandOptions { ReplyUrl = _receiver.Url("/hook"), ReplyRef = "r1" });
        await _receiver.WaitForRequestsAsync(1);
        var call = _receiver.Requests.Single();

        var verifier = new WebhookVerifier(settings.Secret!);
        var delivered = verifier.Verify(Headers(call), call.Body);
        Assert.Equal((job.JobId, JobStatus.Completed, "r1"), (delivered.JobId, delivered.Status, delivered.ReplyRef));

        Assert.NotNull(verifier.Check(Headers(call), call.Body.Replace("\"r1\"", "\"r2\"")));
        Assert.NotNull(verifier.Check(With(call, "webhook-id", call.Headers["webhook-id"] + "x"), call.Body));
        var signature = call.Headers["webhook-signature"];
        // A character in the middle: the last one before the padding also holds padding bits, where A and B can decode alike.
        var at = signature.Length / 2;
        var flipped = signature[..at] + (signature[at] == 'A' ? 'B' : 'A') + signature[(at + 1)..];
        Assert.Equal("no signature matches", verifier.Check(With(call, "webhook-signature", flipped), call.Body));
        Assert.NotNull(verifier.Check(call.Headers.Where(h => h.Key != "webhook-signature"), call.Body));
        Assert.Throws<WebhookVerificationException>(() => new WebhookVerifier("whsec_" + Convert.ToBase64String(new byte[32])).Verify(Headers(call), call.Body));

        // The same genuine call, checked ten minutes later: a replay, refused by the 5-minute tolerance.
        var later = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(long.Parse(call.Headers["webhook-timestamp"])).AddMinutes(10));
        var failure = new WebhookVerifier(settings.Secret!, clock: later).Check(Headers(call), call.Body);
        Assert.Contains("tolerance", failure);
        var withinTolerance = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(long.Parse(call.Headers["webhook-timestamp"])).AddMinutes(4));
        Assert.Null(new WebhookVerifier(settings.Secret!, clock: withinTolerance).Check(Headers(call), call.Body));
    }

    [Fact]
    public async Task Settings_rotation_deliveries_and_redelivery_through_the_client()
    {
        await _client.SaveWebhookSettingsAsync(_receiver.Url("/default"), ["started"]);
        var before = await _client.GetWebhookSettingsAsync();
        Assert.Equal(_receiver.Url("/default"), before.ReplyUrl);
        Assert.Equal(["started"], before.Events);

        var rotated = await _client.RotateWebhookSecretAsync();
        Assert.NotEqual(before.Secret, rotated.Secret);
        Assert.Equal(before.Secret, rotated.PreviousSecret);
        Assert.True(rotated.PreviousSecretExpires > DateTimeOffset.UtcNow);

        var job = await _client.ListIdAsync();
        Assert.Equal(_receiver.Url("/default"), job.ReplyUrl);
        await _receiver.WaitForRequestsAsync(1);
        var first = _receiver.Requests.Last();
        // During a rotation both secrets sign; a receiver that knows either one accepts the call.
        Assert.Null(new WebhookVerifier(rotated.Secret!).Check(Headers(first), first.Body));
        Assert.Null(new WebhookVerifier(before.Secret!).Check(Headers(first), first.Body));

        var redelivery = await _client.RedeliverAsync(job.JobId);
        Assert.Equal(job.JobId, redelivery.JobId);
        var deliveries = await WaitForDeliveredAsync(job.JobId, redelivery.WebhookId);
        Assert.Contains(deliveries, d => d.WebhookId == redelivery.WebhookId && d.Attempts.Any(a => a.HttpStatus == 204));
        Assert.All(deliveries, d => Assert.Equal(_receiver.Url("/default"), d.Url));

        await _client.SaveWebhookSettingsAsync(null);
        Assert.Null((await _client.GetWebhookSettingsAsync()).ReplyUrl);
    }

    private async Task<IReadOnlyList<Delivery>> WaitForDeliveredAsync(string jobId, string webhookId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var deliveries = await _client.ListDeliveriesAsync(jobId);
            if (deliveries.Any(d => d.WebhookId == webhookId && d.State == "delivered") || DateTime.UtcNow > deadline) return deliveries;
            await Task.Delay(50);
        }
    }
}
