using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceSwap.Sandbox.Discord;

/// <summary>Discord's JSON conventions: snake_case names, absent optional fields, its own timestamp format.</summary>
public static class DiscordJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Discord writes message timestamps with microseconds and an explicit offset: 2023-09-09T02:05:24.991000+00:00.</summary>
    public static string FormatTimestamp(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'", CultureInfo.InvariantCulture);
}
