using FaceSwap.Sandbox.Discord;

namespace FaceSwap.Sandbox.Bot;

public static class OptionTypes
{
    public const int String = 3;
    public const int Attachment = 11;
}

public static class CommandTypes
{
    public const int ChatInput = 1;
    public const int Message = 3;
}

public sealed record CommandOption(int Type, string Name, string Description, bool Required);

/// <summary>One application command of the bot as the guild's command index lists it.</summary>
public sealed record BotCommand(string Id, string Version, string Name, int Type, string Description, IReadOnlyList<CommandOption> Options);

/// <summary>
/// The InsightFaceSwap bot's application commands. Ids and versions are snowflakes made at start-up and change on
/// <see cref="Republish"/>, like the real bot's when it updates its commands, so a client must look them up by name.
/// </summary>
public sealed class BotCommandIndex
{
    private static readonly (string Name, int Type, string Description, CommandOption[] Options)[] Definitions =
    [
        ("saveid", CommandTypes.ChatInput, "Save an identity feature with a name",
            [new(OptionTypes.String, "idname", "Name of the identity", true), new(OptionTypes.Attachment, "image", "Photo of the face", true)]),
        ("setid", CommandTypes.ChatInput, "Set default identity name(s) or prefer options",
            [new(OptionTypes.String, "idname", "Names separated by commas, or --greedy / --nogreedy", true)]),
        ("listid", CommandTypes.ChatInput, "List saved identity names", []),
        ("delid", CommandTypes.ChatInput, "Delete a saved identity", [new(OptionTypes.String, "idname", "Name of the identity", true)]),
        ("delall", CommandTypes.ChatInput, "Delete all saved identities", []),
        ("swapid", CommandTypes.ChatInput, "Swap saved identities onto an image",
            [new(OptionTypes.String, "idname", "Name(s) of the identities", true), new(OptionTypes.Attachment, "image", "Target image", true)]),
        ("picsi", CommandTypes.ChatInput, "Picsi.Ai face swap from a source to a target image, GIF or video",
            [new(OptionTypes.Attachment, "source", "Source face", true), new(OptionTypes.Attachment, "target", "Target image, GIF or video", true),
             new(OptionTypes.String, "options", "Options such as -f or -m", false)]),
        ("changebg", CommandTypes.ChatInput, "Change the background of a photo",
            [new(OptionTypes.Attachment, "image", "Photo", true), new(OptionTypes.String, "a_background_photo_of", "Background prompt", true),
             new(OptionTypes.String, "options", "Options", false)]),
        ("headshot", CommandTypes.ChatInput, "Generate a headshot of your default identity",
            [new(OptionTypes.String, "prompt", "Prompt", true), new(OptionTypes.String, "options", "Options", false)]),
        ("INSwapper", CommandTypes.Message, "", []),
    ];

    private readonly SnowflakeGenerator _ids;
    private readonly string _applicationId;
    private volatile IReadOnlyList<BotCommand> _commands = [];

    public BotCommandIndex(SnowflakeGenerator ids, string applicationId)
    {
        _ids = ids;
        _applicationId = applicationId;
        Republish();
    }

    public string ApplicationId => _applicationId;
    public IReadOnlyList<BotCommand> Commands => _commands;

    public BotCommand? FindById(string id) => _commands.FirstOrDefault(c => c.Id == id);
    public BotCommand? FindByName(string name) => _commands.FirstOrDefault(c => c.Name == name);

    /// <summary>Gives every command a new id and version; interactions that name the old ones answer 400.</summary>
    public void Republish() =>
        _commands = Definitions
            .Select(d => new BotCommand(_ids.Next().ToString(), _ids.Next().ToString(), d.Name, d.Type, d.Description, d.Options))
            .ToArray();

    /// <summary>Each command's id and version by name, for the sandbox's state file.</summary>
    public IReadOnlyList<PublishedCommand> Export() => _commands.Select(c => new PublishedCommand(c.Name, c.Id, c.Version)).ToArray();

    /// <summary>Puts back the ids and versions a client may have cached before a restart.</summary>
    public void Restore(IEnumerable<PublishedCommand> published)
    {
        var byName = published.ToDictionary(p => p.Name);
        _commands = _commands
            .Select(c => byName.TryGetValue(c.Name, out var p) ? c with { Id = p.Id, Version = p.Version } : c)
            .ToArray();
    }
}

public sealed record PublishedCommand(string Name, string Id, string Version);
