using System.Collections.Concurrent;
using FaceSwap.Discord.Protocol;
using FaceSwap.Discord.Rest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceSwap.Discord.Polling;

/// <summary>The one poller of each channel, created on first use.</summary>
public sealed class ChannelPollers(
    DiscordRestClient rest,
    IOptionsMonitor<DiscordEngineOptions> options,
    ILoggerFactory loggers)
{
    private readonly ConcurrentDictionary<string, ChannelPoller> pollers = new();

    public ChannelPoller For(string channelId) => pollers.GetOrAdd(channelId,
        id => new ChannelPoller(id, rest, options, loggers.CreateLogger<ChannelPoller>()));

    /// <summary>
    /// The id of the newest message in the channel: the cursor after which a command's reply must appear.
    /// "0" for an empty channel.
    /// </summary>
    public async Task<string> LatestMessageIdAsync(string token, string channelId, CancellationToken ct)
    {
        var latest = await rest.GetLatestMessagesAsync(token, channelId, 1, ct);
        return latest.Count > 0 ? latest[^1].Id : "0";
    }
}
