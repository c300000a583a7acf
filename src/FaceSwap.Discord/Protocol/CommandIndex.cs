using System.Collections.Concurrent;
using FaceSwap.Discord.Rest;
using Microsoft.Extensions.Options;

namespace FaceSwap.Discord.Protocol;

/// <summary>
/// The bot's command ids and versions per guild, read from the guild's application-command index. They
/// change whenever the bot re-registers its commands, so nothing is hard-coded: the cache is dropped
/// when Discord rejects an interaction as stale, and read again.
/// </summary>
public sealed class CommandIndex(DiscordRestClient rest, IOptionsMonitor<DiscordEngineOptions> options)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<IReadOnlyList<ApplicationCommand>>>> byGuild = new();

    public async Task<ApplicationCommand> FindAsync(string token, string guildId, string name, CancellationToken ct)
    {
        var commands = await LoadAsync(token, guildId, ct);
        var botId = options.CurrentValue.BotApplicationId;
        return commands.FirstOrDefault(c => c.ApplicationId == botId && string.Equals(c.Name, name, StringComparison.Ordinal))
            ?? commands.FirstOrDefault(c => c.ApplicationId == botId && string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new CommandNotFoundException(name, guildId);
    }

    public void Invalidate(string guildId) => byGuild.TryRemove(guildId, out _);

    private async Task<IReadOnlyList<ApplicationCommand>> LoadAsync(string token, string guildId, CancellationToken ct)
    {
        // One request per guild even when several jobs ask at once; a failed load is not cached.
        var lazy = byGuild.GetOrAdd(guildId, _ => new Lazy<Task<IReadOnlyList<ApplicationCommand>>>(async () =>
        {
            var index = await rest.GetCommandIndexAsync(token, guildId, CancellationToken.None);
            return index.ApplicationCommands ?? [];
        }));
        try
        {
            return await lazy.Value.WaitAsync(ct);
        }
        catch (Exception) when (lazy.Value.IsFaulted)
        {
            byGuild.TryRemove(KeyValuePair.Create(guildId, lazy));
            throw;
        }
    }
}

/// <summary>The guild's command index has no such command of the InsightFaceSwap bot (bot not in the server?).</summary>
public sealed class CommandNotFoundException(string name, string guildId)
    : Exception($"The InsightFaceSwap bot offers no command '{name}' in server {guildId}")
{
    public string CommandName { get; } = name;
}
