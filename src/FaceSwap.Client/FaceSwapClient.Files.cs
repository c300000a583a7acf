using System.Net.Http.Headers;

namespace FaceSwap.Client;

/// <summary>Result files (attachments).</summary>
public sealed partial class FaceSwapClient
{
    /// <summary>
    /// Copies a result file (an attachment's <c>url</c>) to <paramref name="destination"/>. The token goes only
    /// to this API's own host: result links elsewhere (a CDN) are capabilities by themselves.
    /// </summary>
    public async Task DownloadAsync(string url, Stream destination, CancellationToken cancellationToken = default)
    {
        var uri = new Uri(_api, url);
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (Uri.Compare(uri, _api, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Options.Token);
        using var response = await SendAsync(request, cancellationToken, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        await body.CopyToAsync(destination, cancellationToken);
    }

    public Task DownloadAsync(Attachment attachment, Stream destination, CancellationToken cancellationToken = default) =>
        DownloadAsync(attachment.Url, destination, cancellationToken);

    public async Task<byte[]> DownloadAsync(Attachment attachment, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        await DownloadAsync(attachment.Url, buffer, cancellationToken);
        return buffer.ToArray();
    }
}
