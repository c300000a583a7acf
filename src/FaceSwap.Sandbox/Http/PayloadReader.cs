using System.Text.Json;
using System.Text.RegularExpressions;
using FaceSwap.Sandbox.Bot;

namespace FaceSwap.Sandbox.Http;

/// <summary>
/// Reads a Discord request body: plain JSON, or multipart/form-data with the JSON in a <c>payload_json</c> part and
/// files in <c>files[n]</c> parts (n is the attachment id the JSON refers to).
/// </summary>
public static partial class PayloadReader
{
    [GeneratedRegex(@"^files\[(\d+)\]$")]
    private static partial Regex FilePartName();

    public static async Task<(JsonDocument? Payload, IReadOnlyDictionary<string, InteractionFile> Files)> ReadAsync(HttpRequest request)
    {
        var files = new Dictionary<string, InteractionFile>();
        try
        {
            if (request.HasFormContentType)
            {
                var form = await request.ReadFormAsync();
                foreach (var file in form.Files)
                {
                    var match = FilePartName().Match(file.Name);
                    if (!match.Success) continue;
                    using var buffer = new MemoryStream();
                    await file.CopyToAsync(buffer);
                    files[match.Groups[1].Value] = new InteractionFile(file.FileName, buffer.ToArray());
                }
                string? json = form["payload_json"];
                return (json is null ? null : JsonDocument.Parse(json), files);
            }
            return (await JsonDocument.ParseAsync(request.Body), files);
        }
        catch (Exception error) when (error is JsonException or InvalidDataException or IOException)
        {
            return (null, files);
        }
    }
}
