using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace FaceSwap.Client;

/// <summary>
/// The FaceSwap API v1 (<c>/v1/faceswap</c>), typed: accounts, the eleven commands, jobs, webhooks and result
/// files. Against the commercial service only <see cref="FaceSwapClientOptions.BaseUrl"/> and the token change:
/// the extensions it lacks (waiting, the job stream) are detected and replaced by polling.
/// </summary>
public sealed partial class FaceSwapClient : IDisposable
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly Uri _api;

    /// <summary>Without dependency injection: its own connection pool, with retries (<see cref="RetryPolicy"/>).</summary>
    public FaceSwapClient(Uri baseUrl, string token, Action<FaceSwapClientOptions>? configure = null)
        : this(Standalone(baseUrl, token, configure), ownsHttp: true)
    {
    }

    /// <summary>
    /// Over a given <see cref="HttpClient"/> (what <c>services.AddFaceSwapClient</c> hands in, with the retry
    /// handler in its pipeline). Requests use absolute URLs, so the client's own BaseAddress does not matter.
    /// </summary>
    public FaceSwapClient(HttpClient http, FaceSwapClientOptions options) : this((http, options), ownsHttp: false)
    {
    }

    private FaceSwapClient((HttpClient Http, FaceSwapClientOptions Options) setup, bool ownsHttp)
    {
        _http = setup.Http;
        _ownsHttp = ownsHttp;
        Options = setup.Options;
        _api = Options.ApiBase();
        if (string.IsNullOrEmpty(Options.Token)) throw new ArgumentException("FaceSwapClientOptions.Token is not set");
    }

    public FaceSwapClientOptions Options { get; }

    /// <summary>The API's root, e.g. <c>http://localhost:5080/v1/faceswap/</c>.</summary>
    public Uri ApiBase => _api;

    private static (HttpClient, FaceSwapClientOptions) Standalone(Uri baseUrl, string token, Action<FaceSwapClientOptions>? configure)
    {
        var options = new FaceSwapClientOptions { BaseUrl = baseUrl, Token = token };
        configure?.Invoke(options);
        var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>().AddFaceSwapRetry(options).Build();
        var handler = new ResilienceHandler(pipeline) { InnerHandler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) } };
        return (new HttpClient(handler) { Timeout = options.RequestTimeout }, options);
    }

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    private HttpRequestMessage Request(HttpMethod method, string relative)
    {
        var request = new HttpRequestMessage(method, new Uri(_api, relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Options.Token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return request;
    }

    private static string Query(string jobId) => Uri.EscapeDataString(jobId);

    /// <summary>Sends a request; an answer that is not 2xx becomes a <see cref="FaceSwapApiException"/>.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        var response = await _http.SendAsync(request, completion, cancellationToken);
        if (response.IsSuccessStatusCode) return response;
        using (response) throw await FaceSwapApiException.ReadAsync(response, cancellationToken);
    }

    private async Task<T> ReadAsync<T>(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        using (var response = await SendAsync(request, cancellationToken))
        {
            return await ReadBodyAsync<T>(response, cancellationToken);
        }
    }

    private static async Task<T> ReadBodyAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken)
                ?? throw new FaceSwapApiException((int)response.StatusCode, "Empty answer", $"Expected a {typeof(T).Name} in the body");
        }
        catch (JsonException e)
        {
            throw new FaceSwapApiException((int)response.StatusCode, "Unreadable answer", e.Message);
        }
    }

    private async Task SendNoContentAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        using (await SendAsync(request, cancellationToken))
        {
        }
    }

    // ---- Accounts (spec section 2) ----

    /// <summary><c>GET /account</c>: every channel of the caller, by channel id; empty when there is none (the API's 404).</summary>
    public async Task<IReadOnlyDictionary<string, Account>> ListAccountsAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await ReadAsync<Dictionary<string, Account>>(Request(HttpMethod.Get, "account"), cancellationToken);
        }
        catch (FaceSwapApiException e) when (e.Code == 404)
        {
            return new Dictionary<string, Account>();
        }
    }

    /// <summary><c>GET /account/{channel}</c>.</summary>
    public Task<Account> GetAccountAsync(string channel, CancellationToken cancellationToken = default) =>
        ReadAsync<Account>(Request(HttpMethod.Get, "account/" + Uri.EscapeDataString(channel)), cancellationToken);

    /// <summary><c>POST /account/{channel}</c> (204): creates or replaces the channel's settings.</summary>
    public Task SaveAccountAsync(string channel, AccountSettings settings, CancellationToken cancellationToken = default)
    {
        var request = Request(HttpMethod.Post, "account/" + Uri.EscapeDataString(channel));
        request.Content = JsonContent.Create(settings, options: Json);
        request.Options.Set(RetryPolicy.Repeatable, true);
        return SendNoContentAsync(request, cancellationToken);
    }

    /// <summary><c>DELETE /account/{channel}</c> (204).</summary>
    public Task DeleteAccountAsync(string channel, CancellationToken cancellationToken = default)
    {
        var request = Request(HttpMethod.Delete, "account/" + Uri.EscapeDataString(channel));
        request.Options.Set(RetryPolicy.Repeatable, true);
        return SendNoContentAsync(request, cancellationToken);
    }

    // ---- Webhooks (our extension) ----

    /// <summary><c>GET /webhook</c>: the default replyUrl, the opted-in events and the signing secret.</summary>
    public Task<WebhookSettings> GetWebhookSettingsAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<WebhookSettings>(Request(HttpMethod.Get, "webhook"), cancellationToken);

    /// <summary>
    /// <c>POST /webhook</c>: the default replyUrl (null clears it) and the calls beyond the final one
    /// (<c>started</c>, <c>progress</c>; none when null).
    /// </summary>
    public Task SaveWebhookSettingsAsync(string? replyUrl, IEnumerable<string>? events = null, CancellationToken cancellationToken = default)
    {
        var request = Request(HttpMethod.Post, "webhook");
        var body = new Dictionary<string, object?> { ["replyUrl"] = replyUrl };
        if (events is not null) body["events"] = events.ToArray();
        request.Content = JsonContent.Create(body, options: new JsonSerializerOptions(Json) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never });
        request.Options.Set(RetryPolicy.Repeatable, true);
        return SendNoContentAsync(request, cancellationToken);
    }

    /// <summary><c>POST /webhook/rotate</c>: a new secret; the previous one keeps signing for a while.</summary>
    public Task<WebhookSettings> RotateWebhookSecretAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<WebhookSettings>(Request(HttpMethod.Post, "webhook/rotate"), cancellationToken);

    /// <summary><c>GET /jobs/deliveries?jobid=</c>: each webhook delivery of the job and its attempts.</summary>
    public Task<IReadOnlyList<Delivery>> ListDeliveriesAsync(string jobId, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<Delivery>>(Request(HttpMethod.Get, "jobs/deliveries?jobid=" + Query(jobId)), cancellationToken);

    /// <summary><c>POST /jobs/redeliver?jobid=</c>: sends the job to its replyUrl again.</summary>
    public Task<Redelivery> RedeliverAsync(string jobId, CancellationToken cancellationToken = default) =>
        ReadAsync<Redelivery>(Request(HttpMethod.Post, "jobs/redeliver?jobid=" + Query(jobId)), cancellationToken);

    // ---- Files ----

    /// <summary>
    /// Copies a result file (an attachment's <c>url</c>) to <paramref name="destination"/>. The token goes only
    /// to this API's own host: result links elsewhere (a CDN) are capabilities by themselves.
    /// </summary>
    public async Task DownloadAsync(string url, Stream destination, CancellationToken cancellationToken = default)
    {
        var uri = new Uri(_api, url);
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (Uri.Compare(uri, _api, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Options.Token);
        using var response = await SendAsync(request, cancellationToken, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        await body.CopyToAsync(destination, cancellationToken);
    }

    public Task DownloadAsync(Attachment attachment, Stream destination, CancellationToken cancellationToken = default) =>
        DownloadAsync(attachment.Url, destination, cancellationToken);

    public async Task<byte[]> DownloadAsync(Attachment attachment, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        await DownloadAsync(attachment.Url, buffer, cancellationToken);
        return buffer.ToArray();
    }
}
