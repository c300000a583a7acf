using System.Net.Http.Headers;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace FaceSwap.Client;

/// <summary>
/// Retries with backoff on 429, 5xx and connection failures, honouring <c>Retry-After</c>. A request is
/// retried only when a repeat cannot do anything twice: a read, an update that sets the same state again, or
/// a command that carries an <c>Idempotency-Key</c> (the server then answers a repeat with the first job).
/// </summary>
public static class RetryPolicy
{
    /// <summary>Marks a request whose repeat sets the same state again (e.g. saving an account's settings).</summary>
    public static readonly HttpRequestOptionsKey<bool> Repeatable = new("FaceSwap.Repeatable");

    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>Adds the retry strategy to a pipeline: the one used with and without dependency injection.</summary>
    public static ResiliencePipelineBuilder<HttpResponseMessage> AddFaceSwapRetry(this ResiliencePipelineBuilder<HttpResponseMessage> builder,
        FaceSwapClientOptions options)
    {
        builder.TimeProvider = options.TimeProvider;
        return builder.AddRetry(new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = Math.Max(1, options.MaxRetries),
            Delay = options.RetryBaseDelay,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            MaxDelay = TimeSpan.FromMinutes(2),
            ShouldRetryAfterHeader = true,
            ShouldHandle = args => ValueTask.FromResult(
                options.MaxRetries > 0 && HttpClientResiliencePredicates.IsTransient(args.Outcome) && MayRepeat(args.Context.GetRequestMessage())),
            OnRetry = args =>
            {
                var request = args.Context.GetRequestMessage();
                options.OnRetry?.Invoke(new RetryNotice(args.AttemptNumber + 1, args.RetryDelay,
                    args.Outcome.Result is { } response ? (int)response.StatusCode : null,
                    args.Outcome.Exception?.Message, request?.Method.Method ?? "", request?.RequestUri?.AbsolutePath ?? ""));
                return ValueTask.CompletedTask;
            },
        });
    }

    /// <summary>Whether sending this request again is harmless.</summary>
    public static bool MayRepeat(HttpRequestMessage? request)
    {
        if (request is null) return false;
        if (request.Method == HttpMethod.Get || request.Method == HttpMethod.Head || request.Method == HttpMethod.Options) return true;
        if (request.Headers.Contains(IdempotencyKeyHeader)) return true;
        return request.Options.TryGetValue(Repeatable, out var repeatable) && repeatable;
    }

    internal static void AddIdempotencyKey(HttpRequestHeaders headers, string key) => headers.TryAddWithoutValidation(IdempotencyKeyHeader, key);
}
