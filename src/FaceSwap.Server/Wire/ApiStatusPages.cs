using Microsoft.AspNetCore.Diagnostics;

namespace FaceSwap.Server.Wire;

/// <summary>
/// The framework's own refusals under the API's path (no endpoint there, a method the endpoint does not take)
/// answered in the API's error shape, like every other refusal; they would otherwise be an empty 404 or 405.
/// Only bodiless answers reach here: an endpoint's own 404 ("Unable to locate job …") is left as it is.
/// </summary>
public static class ApiStatusPages
{
    /// <summary>Where the API's endpoints are (their group in ServerHost).</summary>
    public const string ApiPath = "/v1/faceswap";

    public static async Task WriteAsync(StatusCodeContext context)
    {
        var http = context.HttpContext;
        if (!http.Request.Path.StartsWithSegments(ApiPath)) return;
        var endpoint = $"{http.Request.Method} {http.Request.Path}";
        var error = http.Response.StatusCode switch
        {
            StatusCodes.Status404NotFound => ApiError.Result(404, "Not found", $"No endpoint answers {endpoint}; the API reference is at /docs."),
            StatusCodes.Status405MethodNotAllowed => ApiError.Result(405, "Method not allowed",
                $"{http.Request.Path} does not take {http.Request.Method}; it takes {http.Response.Headers.Allow}."),
            _ => null,
        };
        if (error is not null) await error.ExecuteAsync(http);
    }
}
