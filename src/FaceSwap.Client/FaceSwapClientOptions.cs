namespace FaceSwap.Client;

/// <summary>Where the API is, who calls it, and how patiently.</summary>
public sealed class FaceSwapClientOptions
{
    /// <summary>
    /// The server, e.g. <c>http://localhost:5080</c>; the client adds <c>/v1/faceswap/</c> (a URL that already
    /// ends with it is taken as it is).
    /// </summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>The API token, sent as <c>Authorization: Bearer …</c>.</summary>
    public string? Token { get; set; }

    /// <summary>
    /// Give every command an <c>Idempotency-Key</c> of its own when the caller gives none, so that a command
    /// can be retried after a 5xx or a lost connection without running twice. On by default.
    /// </summary>
    public bool AutoIdempotencyKey { get; set; } = true;

    /// <summary>Attempts after the first on 429, 5xx and connection failures (commands: see <see cref="AutoIdempotencyKey"/>).</summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>The first retry's delay without <c>Retry-After</c>; it doubles, with jitter, for each later one.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one <c>Prefer: wait</c> request may hold (the server's limit is 60 s).</summary>
    public TimeSpan LongPollWait { get; set; } = TimeSpan.FromSeconds(50);

    /// <summary>
    /// Polling where the server does not hold requests (the commercial service): the first interval, doubled
    /// after each unchanged answer up to <see cref="MaxPollInterval"/>.
    /// </summary>
    public TimeSpan MinPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest any one request may take (blocking commands hold theirs until the job ends).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The clock for retry delays and polling intervals.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Told before each retry (e.g. to show "retrying in 2 s").</summary>
    public Action<RetryNotice>? OnRetry { get; set; }

    internal Uri ApiBase()
    {
        var baseUrl = BaseUrl ?? throw new InvalidOperationException("FaceSwapClientOptions.BaseUrl is not set");
        var text = baseUrl.AbsoluteUri.TrimEnd('/');
        if (!text.EndsWith("/v1/faceswap", StringComparison.OrdinalIgnoreCase)) text += "/v1/faceswap";
        return new Uri(text + "/");
    }
}

/// <summary>A retry about to happen: which one, after how long, and why.</summary>
public sealed record RetryNotice(int Attempt, TimeSpan Delay, int? StatusCode, string? Failure, string Method, string Path);
