using FaceSwap.Sandbox.Discord;

namespace FaceSwap.Sandbox.Bot;

/// <summary>A file an interaction carries, resolved from its upload.</summary>
public sealed record InteractionFile(string Filename, byte[] Bytes);

/// <summary>An interaction Discord accepted (answered 204) and hands to the bot.</summary>
public sealed record AcceptedInteraction(
    ulong Id,
    SandboxChannel Channel,
    SandboxAccount User,
    BotCommand Command,
    IReadOnlyDictionary<string, string> Strings,
    IReadOnlyDictionary<string, InteractionFile> Files,
    ChannelMessage? Target,
    DateTimeOffset AcceptedAt)
{
    public bool IsContextMenu => Command.Type == CommandTypes.Message;
}
