using Microsoft.AspNetCore.Diagnostics;

namespace FaceSwap.Server.Wire;

/// <summary>
/// The framework's own refusals under the API's path (no endpoint there, a method the endpoint does not take)
/// answered in the API's error shape, like every other refusal; they would otherwise be an empty 404 or 405.
/// Only bodiless answers reach here: an endpoint's own 404 ("Unable to locate job …") is left as it is.
/// </summary>
public static class ApiStatusPages
{
    public const string ApiPath = "/v1/faceswap";

    public static async Task WriteAsync(StatusCodeContext context)
    {
        var http = context.HttpContext;
        if (!http.Request.Path.StartsWithSegments(ApiPath)) return;
        var endpoint = $"{http.Request.Method} {http.Request.Path}";
        var error = http.Response.StatusCode switch
        {
            StatusCodes.Status404NotFound => new ApiError("Not found", $"No endpoint answers {endpoint}; the API reference is at /docs.", 404),
            StatusCodes.Status405MethodNotAllowed => new ApiError("Method not allowed",
                $"{http.Request.Path} does not take {http.Request.Method}; it takes {http.Response.Headers.Allow}.", 405),
            _ => null,
        };
        if (error is not null) await Results.Json(error, statusCode: error.Code).ExecuteAsync(http);
    }
}
