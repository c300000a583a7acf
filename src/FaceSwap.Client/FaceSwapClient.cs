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
}
