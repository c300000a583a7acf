using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceSwap.Client;

/// <summary>An account (a channel where commands run), as <c>GET /account/{channel}</c> shows it.</summary>
public sealed record Account
{
    [JsonPropertyName("server")] public string? Server { get; init; }
    [JsonPropertyName("channel")] public string Channel { get; init; } = "";
    /// <summary>The Discord token, masked by the API.</summary>
    [JsonPropertyName("discord")] public string? Discord { get; init; }
    /// <summary><c>discord</c> or <c>local</c> (a FaceSwap server's extension; absent on the commercial service).</summary>
    [JsonPropertyName("engine")] public string? Engine { get; init; }
    [JsonPropertyName("credits")] public Credits? Credits { get; init; }
    /// <summary><c>ok</c>, <c>token_invalid</c>, <c>locked</c>, <c>forbidden</c>, <c>credits_exhausted</c> (extension).</summary>
    [JsonPropertyName("health")] public string? Health { get; init; }
    [JsonPropertyName("healthDetail")] public string? HealthDetail { get; init; }
    /// <summary>What the engine says about itself (the local engine: its tier and model files).</summary>
    [JsonPropertyName("capabilities")] public JsonElement? Capabilities { get; init; }
    [JsonExtensionData] public IDictionary<string, JsonElement>? Extra { get; init; }
}

public sealed record Credits(
    [property: JsonPropertyName("timestamp")] string? Timestamp,
    [property: JsonPropertyName("total")] int? Total,
    [property: JsonPropertyName("used")] int? Used);

/// <summary>
/// The body of <c>POST /account/{channel}</c>. A Discord channel needs <see cref="Discord"/>, <see cref="Server"/>
/// and <see cref="Channel"/>; <see cref="ForLocalEngine"/> and <see cref="ForSandbox"/> are a FaceSwap server's extensions.
/// </summary>
public sealed record AccountSettings
{
    [JsonPropertyName("discord"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Discord { get; init; }
    [JsonPropertyName("server"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Server { get; init; }
    [JsonPropertyName("channel"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Channel { get; init; }
    [JsonPropertyName("engine"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Engine { get; init; }
    [JsonPropertyName("sandbox"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public bool? Sandbox { get; init; }

    public static AccountSettings ForDiscord(string discordToken, string server, string channel) =>
        new() { Discord = discordToken, Server = server, Channel = channel };

    /// <summary>A channel on the server's own engine.</summary>
    public static AccountSettings ForLocalEngine() => new() { Engine = "local" };

    /// <summary>A channel on the server's Discord emulator.</summary>
    public static AccountSettings ForSandbox() => new() { Sandbox = true };
}
