using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace FaceSwap.Server.Tests.Infrastructure;

public static class Forms
{
    /// <summary>A real 1×1 PNG.</summary>
    public static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");

    public static readonly byte[] Gif = "GIF89a\x01\x00\x01\x00\x00\x00\x00;"u8.ToArray();

    public static MultipartFormDataContent Multipart(params (string Name, object Value)[] parts)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in parts)
        {
            switch (value)
            {
                case byte[] bytes:
                    var file = new ByteArrayContent(bytes);
                    file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
                    form.Add(file, name, name + ".png");
                    break;
                default:
                    form.Add(new StringContent(value.ToString()!), name);
                    break;
            }
        }
        return form;
    }

    public static async Task<JsonObject> JsonAsync(this HttpResponseMessage response) =>
        (JsonNode.Parse(await response.Content.ReadAsStringAsync()) as JsonObject)!;

    public static async Task<string> BodyAsync(this HttpResponseMessage response) => await response.Content.ReadAsStringAsync();
}
