using FaceSwap.Client;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class FaceSwapClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="FaceSwapClient"/> as a typed HTTP client with the retry handler
    /// (<see cref="RetryPolicy"/>). Add handlers to the returned builder to see each attempt on the wire.
    /// </summary>
    public static IHttpClientBuilder AddFaceSwapClient(this IServiceCollection services, Action<FaceSwapClientOptions> configure)
    {
        services.Configure(configure);
        var client = services.AddHttpClient(nameof(FaceSwapClient), (provider, http) =>
            http.Timeout = provider.GetRequiredService<IOptions<FaceSwapClientOptions>>().Value.RequestTimeout);
        client.AddResilienceHandler("faceswap-retry", (pipeline, context) =>
            pipeline.AddFaceSwapRetry(context.ServiceProvider.GetRequiredService<IOptions<FaceSwapClientOptions>>().Value));
        return client.AddTypedClient((http, provider) => new FaceSwapClient(http, provider.GetRequiredService<IOptions<FaceSwapClientOptions>>().Value));
    }
}
