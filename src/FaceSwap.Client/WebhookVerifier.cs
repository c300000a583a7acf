using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FaceSwap.Client;

/// <summary>
/// Checks a replyUrl call the way Standard Webhooks (v1) defines: <c>webhook-signature</c> holds one or more
/// <c>v1,&lt;base64 HMAC-SHA256&gt;</c> of <c>webhook-id.webhook-timestamp.body</c>, keyed with the secret
/// (<c>whsec_</c> + base64) that <c>GET /webhook</c> shows; a timestamp further than the tolerance from now is
/// refused, so a captured call can not be replayed later. Give it the previous secret too during a rotation.
/// </summary>
public sealed class WebhookVerifier
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";
    private const string SecretPrefix = "whsec_";

    private readonly IReadOnlyList<byte[]> _keys;
    private readonly TimeProvider _clock;

    public WebhookVerifier(string secret, TimeSpan? tolerance = null, TimeProvider? clock = null)
        : this([secret], tolerance, clock)
    {
    }

    public WebhookVerifier(IEnumerable<string> secrets, TimeSpan? tolerance = null, TimeProvider? clock = null)
    {
        _keys = secrets.Where(s => !string.IsNullOrEmpty(s)).Select(Key).ToList();
        if (_keys.Count == 0) throw new ArgumentException("No webhook secret given", nameof(secrets));
        Tolerance = tolerance ?? TimeSpan.FromMinutes(5);
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>How far the call's timestamp may be from now, either way (default 5 minutes).</summary>
    public TimeSpan Tolerance { get; }

    private static byte[] Key(string secret)
    {
        var text = secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret;
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw new ArgumentException("A webhook secret is whsec_ followed by base64", nameof(secret));
        }
    }

    /// <summary>The failure, or null when the call is genuine and fresh.</summary>
    public string? Check(string? webhookId, string? webhookTimestamp, string? webhookSignature, string body)
    {
        if (string.IsNullOrEmpty(webhookId) || string.IsNullOrEmpty(webhookTimestamp) || string.IsNullOrEmpty(webhookSignature))
            return "missing webhook-id, webhook-timestamp or webhook-signature header";
        if (!long.TryParse(webhookTimestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            return "webhook-timestamp is not a number of seconds";
        var sent = DateTimeOffset.FromUnixTimeSeconds(seconds);
        var skew = (_clock.GetUtcNow() - sent).Duration();
        if (skew > Tolerance) return $"webhook-timestamp is {skew.TotalSeconds:0} s from now (tolerance {Tolerance.TotalSeconds:0} s)";
        var signed = Encoding.UTF8.GetBytes($"{webhookId}.{webhookTimestamp}.{body}");
        var expected = _keys.Select(key => HMACSHA256.HashData(key, signed)).ToList();
        foreach (var signature in webhookSignature.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = signature.Split(',', 2);
            if (parts.Length != 2 || parts[0] != "v1") continue;
            byte[] given;
            try
            {
                given = Convert.FromBase64String(parts[1]);
            }
            catch (FormatException)
            {
                continue;
            }
            // Constant time: how much of a guess matched must not show in how long the check takes.
            if (expected.Any(e => CryptographicOperations.FixedTimeEquals(e, given))) return null;
        }
        return "no signature matches";
    }

    /// <summary>Whether the call is genuine and fresh; <paramref name="headers"/> looked up by name, any case.</summary>
    public bool IsValid(IEnumerable<KeyValuePair<string, string>> headers, string body) => Check(headers, body) is null;

    public string? Check(IEnumerable<KeyValuePair<string, string>> headers, string body)
    {
        var byName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers) byName[name] = value;
        return Check(byName.GetValueOrDefault(IdHeader), byName.GetValueOrDefault(TimestampHeader), byName.GetValueOrDefault(SignatureHeader), body);
    }

    /// <summary>The job a genuine call carries; a <see cref="WebhookVerificationException"/> for any other call.</summary>
    public Job Verify(IEnumerable<KeyValuePair<string, string>> headers, string body)
    {
        if (Check(headers, body) is { } failure) throw new WebhookVerificationException(failure);
        return JsonSerializer.Deserialize<Job>(body, FaceSwapClient.Json) ?? throw new WebhookVerificationException("the body is not a job");
    }
}

public sealed class WebhookVerificationException(string message) : Exception(message);
