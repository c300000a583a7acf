using FaceSwap.Core.Engines;
using FaceSwap.Discord.Polling;
using FaceSwap.Discord.Protocol;
using FaceSwap.Discord.Rest;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FaceSwap.Discord;

public static class DiscordServiceCollectionExtensions
{
    /// <summary>
    /// Registers the discord engine as an <see cref="IEngine"/>, with its options bound from
    /// <c>FaceSwap:Discord</c>, its HttpClient, the rate-limit memory and one poller per channel.
    /// </summary>
    public static IServiceCollection AddDiscordEngine(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DiscordEngineOptions>().Bind(configuration.GetSection(DiscordEngineOptions.SectionName));
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddSingleton<DiscordMetrics>();
        services.AddSingleton<RateLimitGate>();
        services.AddSingleton<InteractionPacer>();
        // Singleton consumers keep one client for the process: the handler lifetime would be moot, and
        // rate-limit state is per token anyway. The API base URL is read per request from the options.
        services.AddHttpClient(nameof(DiscordRestClient), client => client.Timeout = TimeSpan.FromSeconds(100));
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<DiscordRestClient>(sp,
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(DiscordRestClient))));
        services.AddSingleton<CommandIndex>();
        services.AddSingleton<DiscordUsers>();
        services.AddSingleton<ChannelPollers>();
        services.AddSingleton<DiscordEngine>();
        services.AddSingleton<IEngine>(sp => sp.GetRequiredService<DiscordEngine>());
        return services;
    }
}
