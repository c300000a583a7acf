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
    public static IResult CloudflareBlocked() =>
        Json(403, new ErrorObject("Cloudflare is blocking your request. This can often be resolved by setting a proper User Agent", 40333));
    public static IResult MissingPermissions() => Json(403, new ErrorObject("Missing Permissions", 50013));
    public static IResult VerificationRequired() => Json(403, new ErrorObject("You need to verify your account in order to perform this action.", 40002));

    /// <summary>
    /// A captcha challenge. Not in Discord's docs; the shape users report (github.com/avengy/hcaptcha-bypass-discord
    /// issue 8): <c>captcha_key</c>, <c>captcha_sitekey</c>, <c>captcha_service</c>, <c>captcha_rqdata</c>, <c>captcha_rqtoken</c>.
    /// </summary>
    public static IResult CaptchaRequired() => Json(400, new Dictionary<string, object>
    {
        ["captcha_key"] = new[] { "captcha-required" },
        ["captcha_sitekey"] = "00000000-0000-4000-8000-000000000000", // a stand-in: nothing here can solve it
        ["captcha_service"] = "hcaptcha",
        ["captcha_rqdata"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48)),
        ["captcha_rqtoken"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
    });

    public static IResult Refusal(AccountRefusal refusal) => refusal switch
    {
        AccountRefusal.Unauthorized => Unauthorized(),
        AccountRefusal.VerificationRequired => VerificationRequired(),
        AccountRefusal.MissingAccess => MissingAccess(),
        AccountRefusal.MissingPermissions => MissingPermissions(),
        _ => CaptchaRequired(),
    };
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
