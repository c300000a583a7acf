using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceSwap.Cli;

/// <summary>Where the API is and the token for it, as stored by <c>faceswap config set</c>.</summary>
public sealed record CliSettings(
    [property: JsonPropertyName("baseUrl")] string? BaseUrl,
    [property: JsonPropertyName("token")] string? Token);

/// <summary>
/// The config file (<c>~/.config/faceswap/config.json</c>): readable by its owner only (mode 600), since it holds
/// the API token. <c>FACESWAP_BASE_URL</c> and <c>FACESWAP_TOKEN</c> override what it says.
/// </summary>
public static class ConfigFile
{
    public const string BaseUrlVariable = "FACESWAP_BASE_URL";
    public const string TokenVariable = "FACESWAP_TOKEN";

    public static string DefaultPath() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify), "faceswap", "config.json");

    public static CliSettings Load(string path)
    {
        if (!File.Exists(path)) return new CliSettings(null, null);
        try
        {
            return JsonSerializer.Deserialize<CliSettings>(File.ReadAllText(path)) ?? new CliSettings(null, null);
        }
        catch (JsonException e)
        {
            throw new UsageException($"The config file {path} is not valid JSON ({e.Message}); run faceswap config set again.");
        }
    }

    public static void Save(string path, CliSettings settings)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(folder))
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder);
            else Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var json = JsonSerializer.Serialize(settings, new JsonSerializerOptions { WriteIndented = true });
        // Written to a new file created 600 and moved over the old one, so the token is never readable by others.
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
            writer.Write(json);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The file's settings with the environment's on top; a clear error when either is missing.</summary>
    public static (Uri BaseUrl, string Token) Resolve(Terminal terminal)
    {
        var stored = Load(terminal.ConfigPath);
        var baseUrl = terminal.Environment(BaseUrlVariable) is { Length: > 0 } b ? b : stored.BaseUrl;
        var token = terminal.Environment(TokenVariable) is { Length: > 0 } t ? t : stored.Token;
        if (string.IsNullOrEmpty(baseUrl) || string.IsNullOrEmpty(token))
            throw new UsageException($"No {(string.IsNullOrEmpty(baseUrl) ? "base URL" : "token")} configured: run faceswap config set --base-url <url> --token <token> (or set {BaseUrlVariable} and {TokenVariable}).");
        return (ParseBaseUrl(baseUrl), token);
    }

    public static Uri ParseBaseUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new UsageException($"The base URL {text} is not an http(s) URL, e.g. http://localhost:5080");

    /// <summary>A token as it may be shown: its first and last three characters.</summary>
    public static string Mask(string? token) => token switch
    {
        null or "" => "(none)",
        { Length: < 12 } => "…" + "(" + token.Length + " characters)",
        _ => $"{token[..3]}…{token[^3..]}",
    };
}
