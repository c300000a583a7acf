using Microsoft.Extensions.Options;

namespace FaceSwap.Discord.Tests;

internal sealed class TestOptionsMonitor(DiscordEngineOptions value) : IOptionsMonitor<DiscordEngineOptions>
{
    public DiscordEngineOptions CurrentValue => value;
    public DiscordEngineOptions Get(string? name) => value;
    public IDisposable? OnChange(Action<DiscordEngineOptions, string?> listener) => null;
}
