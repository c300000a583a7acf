using FaceSwap.Sandbox.Discord;

namespace FaceSwap.Sandbox.Http;

/// <summary>Discord's error answers (JSON error codes from its "Opcodes and Status Codes" page).</summary>
public static class DiscordErrors
{
    public static IResult Unauthorized() => Json(401, new ErrorObject("401: Unauthorized", 0));
    public static IResult NotFound() => Json(404, new ErrorObject("404: Not Found", 0));
    public static IResult UnknownChannel() => Json(404, new ErrorObject("Unknown Channel", 10003));
    public static IResult UnknownMessage() => Json(404, new ErrorObject("Unknown Message", 10008));
    public static IResult MissingAccess() => Json(403, new ErrorObject("Missing Access", 50001));
    public static IResult TooLarge() => Json(413, new ErrorObject("Request entity too large", 40005));
    public static IResult ServerError(int status) => Json(status, new ErrorObject($"{status}: {ReasonOf(status)}", 0));

    /// <summary>
    /// 400 "Invalid Form Body" (50035) with Discord's nested <c>errors</c> tree: the path of the bad field, ending in
    /// <c>_errors: [{code, message}]</c>. A dotted path such as <c>data.attachments.0.uploaded_filename</c> becomes the tree.
    /// </summary>
    public static IResult InvalidFormBody(string path, string code, string message)
    {
        object node = new Dictionary<string, object> { ["_errors"] = new[] { new { code, message } } };
        foreach (var segment in path.Split('.', StringSplitOptions.RemoveEmptyEntries).Reverse())
            node = new Dictionary<string, object> { [segment] = node };
        return Json(400, new ErrorObject("Invalid Form Body", 50035, node));
    }

    public static IResult Json(int status, object body) => Results.Json(body, DiscordJson.Options, statusCode: status);

    private static string ReasonOf(int status) => status switch
    {
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Server Error",
    };
}
