using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using FaceSwap.Discord.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceSwap.Discord.Rest;

/// <summary>
/// The slice of Discord's HTTP API the engine uses (docs/discord-wire.md), called with a user token.
/// Every call goes through one send loop that honours the rate-limit headers, waits out 429s for
/// exactly <c>retry_after</c>, and retries 5xx with a bounded backoff.
/// </summary>
public sealed class DiscordRestClient(
    HttpClient http,
    IOptionsMonitor<DiscordEngineOptions> options,
    RateLimitGate gate,
    DiscordMetrics metrics,
    TimeProvider time,
    ILogger<DiscordRestClient> logger)
{
    public Task<DiscordUser> GetCurrentUserAsync(string token, CancellationToken ct) =>
        GetJsonAsync<DiscordUser>(token, "users/@me", "GET /users/@me", RequestPurpose.Identity, ct);

    public Task<ApplicationCommandIndex> GetCommandIndexAsync(string token, string guildId, CancellationToken ct) =>
        GetJsonAsync<ApplicationCommandIndex>(token, $"guilds/{guildId}/application-command-index",
            $"GET /guilds/{guildId}/application-command-index", RequestPurpose.CommandIndex, ct);

    /// <summary>Messages after <paramref name="after"/>, oldest first (Discord answers newest first).</summary>
    public async Task<IReadOnlyList<DiscordMessage>> GetMessagesAfterAsync(
        string token, string channelId, string after, int limit, RequestPurpose purpose, CancellationToken ct)
    {
        var messages = await GetJsonAsync<List<DiscordMessage>>(token,
            $"channels/{channelId}/messages?after={after}&limit={limit}", $"GET /channels/{channelId}/messages", purpose, ct);
        messages.Sort((a, b) => Snowflake.Compare(a.Id, b.Id));
        return messages;
    }

    /// <summary>
    /// Up to <paramref name="limit"/> messages around one, oldest first (developers/resources/message.mdx, "Get
    /// Channel Messages": <c>around</c>, the message itself included): one read sees the edits of several messages.
    /// </summary>
    public async Task<IReadOnlyList<DiscordMessage>> GetMessagesAroundAsync(
        string token, string channelId, string around, int limit, RequestPurpose purpose, CancellationToken ct)
    {
        var messages = await GetJsonAsync<List<DiscordMessage>>(token,
            $"channels/{channelId}/messages?around={around}&limit={limit}", $"GET /channels/{channelId}/messages", purpose, ct);
        messages.Sort((a, b) => Snowflake.Compare(a.Id, b.Id));
        return messages;
    }

    /// <summary>One message by id (to see its edit); null when it was deleted.</summary>
    public async Task<DiscordMessage?> GetMessageAsync(string token, string channelId, string messageId, RequestPurpose purpose, CancellationToken ct)
    {
        try
        {
            return await GetJsonAsync<DiscordMessage>(token, $"channels/{channelId}/messages/{messageId}",
                $"GET /channels/{channelId}/messages/{{message_id}}", purpose, ct);
        }
        catch (DiscordApiException ex) when (ex.Status == HttpStatusCode.NotFound && ex.Code == UnknownMessage)
        {
            return null;
        }
    }

    /// <summary>JSON error code 10008 (developers/topics/opcodes-and-status-codes.mdx).</summary>
    private const int UnknownMessage = 10008;

    /// <summary>Uploads one file: ask for an upload slot, then PUT the bytes to it.</summary>
    public async Task<UploadedAttachment> UploadAttachmentAsync(
        string token, string channelId, string fileName, string contentType, byte[] content, CancellationToken ct)
    {
        var request = new AttachmentSlotRequest([new AttachmentSlotFile("0", fileName, content.LongLength)]);
        using var response = await SendAsync(token, HttpMethod.Post, Api($"channels/{channelId}/attachments"),
            $"POST /channels/{channelId}/attachments", () => JsonContent.Create(request, options: DiscordJson.Options),
            authorize: true, RequestPurpose.Upload, ct);
        var slots = await response.Content.ReadFromJsonAsync<AttachmentSlotResponse>(DiscordJson.Options, ct)
            ?? throw new DiscordApiException(response.StatusCode, null, "empty attachment slot answer", null);
        var slot = slots.Attachments.FirstOrDefault()
            ?? throw new DiscordApiException(response.StatusCode, null, "no attachment slot in the answer", null);

        // The upload URL is a signed storage URL: it takes no Discord token.
        using var put = await SendAsync(token, HttpMethod.Put, Absolute(slot.UploadUrl), "PUT upload", () =>
        {
            var body = new ByteArrayContent(content);
            body.Headers.ContentType = MediaTypeHeaderValue.Parse(string.IsNullOrEmpty(contentType) ? "application/octet-stream" : contentType);
            return body;
        }, authorize: false, RequestPurpose.Upload, ct);
        return new UploadedAttachment(fileName, slot.UploadFilename);
    }

    /// <summary>Sends an interaction (Discord answers 204; the bot's reply shows up in the channel).</summary>
    public async Task SendInteractionAsync(string token, JsonObject payload, CancellationToken ct)
    {
        var json = payload.ToJsonString();
        using var response = await SendAsync(token, HttpMethod.Post, Api("interactions"), "POST /interactions",
            () => new StringContent(json, System.Text.Encoding.UTF8, "application/json"), authorize: true, RequestPurpose.Interaction, ct);
    }

    /// <summary>Fetches an attachment from the CDN (no Discord token: CDN links carry their own signature).</summary>
    public async Task<(byte[] Content, string? ContentType)> DownloadAsync(string url, CancellationToken ct)
    {
        using var response = await SendAsync("cdn", HttpMethod.Get, Absolute(url), "GET cdn", () => null, authorize: false, RequestPurpose.Download, ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        return (bytes, response.Content.Headers.ContentType?.MediaType);
    }

    private async Task<T> GetJsonAsync<T>(string token, string path, string route, RequestPurpose purpose, CancellationToken ct)
    {
        using var response = await SendAsync(token, HttpMethod.Get, Api(path), route, () => null, authorize: true, purpose, ct);
        return await response.Content.ReadFromJsonAsync<T>(DiscordJson.Options, ct)
            ?? throw new DiscordApiException(response.StatusCode, null, "empty answer", null);
    }

    private Uri Api(string path) => new(options.CurrentValue.ApiBaseUrl.TrimEnd('/') + "/" + path);

    /// <summary>Upload and CDN URLs are absolute on Discord; an emulator may answer with a path.</summary>
    private Uri Absolute(string url)
    {
        if (Uri.TryCreate(url, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https")
        {
            return absolute;
        }
        var root = new Uri(options.CurrentValue.ApiBaseUrl);
        return new Uri(root, url);
    }

    private async Task<HttpResponseMessage> SendAsync(
        string token, HttpMethod method, Uri uri, string route, Func<HttpContent?> content, bool authorize,
        RequestPurpose purpose, CancellationToken ct)
    {
        var settings = options.CurrentValue;
        var rateLimited = 0;
        var serverErrors = 0;
        while (true)
        {
            TimeSpan wait;
            while ((wait = gate.Reserve(token, route)) > TimeSpan.Zero)
            {
                if (wait > settings.MaxRateLimitWait)
                {
                    throw new DiscordRateLimitedException(wait);
                }
                logger.LogDebug("Waiting {Delay} for the rate limit of {Route}", wait, route);
                await Task.Delay(wait, time, ct);
            }

            using var request = new HttpRequestMessage(method, uri) { Content = content() };
            if (authorize)
            {
                request.Headers.TryAddWithoutValidation("Authorization", token);
            }
            request.Headers.TryAddWithoutValidation("User-Agent", settings.UserAgent);

            HttpResponseMessage response;
            metrics.CountRequest(purpose, api: authorize);
            try
            {
                response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            }
            catch (HttpRequestException ex) when (serverErrors < settings.MaxServerErrorRetries)
            {
                serverErrors++;
                logger.LogWarning("{Route} failed ({Error}); retry {Try}", route, ex.Message, serverErrors);
                await Task.Delay(Backoff(settings, serverErrors), time, ct);
                continue;
            }

            if (authorize)
            {
                gate.Observe(token, route, RateLimitInfo.Parse(response.Headers, time.GetUtcNow()));
            }

            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            var body = await response.Content.ReadAsStringAsync(ct);
            var status = response.StatusCode;
            if (status == HttpStatusCode.TooManyRequests)
            {
                var retry = RetryAfter.Parse(body, response.Headers);
                response.Dispose();
                gate.ObserveRetryAfter(token, route, retry);
                if (++rateLimited > settings.MaxRateLimitRetries || retry.Delay > settings.MaxRateLimitWait)
                {
                    throw new DiscordRateLimitedException(retry.Delay);
                }
                logger.LogInformation("{Route} rate limited; retrying after {Delay}", route, retry.Delay);
                continue; // the gate now holds the request for retry_after
            }

            if ((int)status >= 500 && serverErrors < settings.MaxServerErrorRetries)
            {
                response.Dispose();
                serverErrors++;
                logger.LogWarning("{Route} answered {Status}; retry {Try}", route, (int)status, serverErrors);
                await Task.Delay(Backoff(settings, serverErrors), time, ct);
                continue;
            }

            response.Dispose();
            throw DiscordApiException.From(status, body);
        }
    }

    private static TimeSpan Backoff(DiscordEngineOptions settings, int attempt) =>
        settings.ServerErrorBackoff * Math.Pow(2, attempt - 1);
}
