using System.Collections.Concurrent;
using FaceSwap.Discord.Rest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceSwap.Discord.Polling;

/// <summary>The one poller of each channel, created on first use.</summary>
public sealed class ChannelPollers(
    DiscordRestClient rest,
    IOptionsMonitor<DiscordEngineOptions> options,
    TimeProvider time,
    ILoggerFactory loggers)
{
    private readonly ConcurrentDictionary<string, ChannelPoller> pollers = new();

    public ChannelPoller For(string channelId) => pollers.GetOrAdd(channelId,
        id => new ChannelPoller(id, rest, options, time, loggers.CreateLogger<ChannelPoller>()));
}
