using System.Globalization;
using FaceSwap.Sandbox.Discord;

namespace FaceSwap.Sandbox.Http;

/// <summary>
/// What stands in front of every emulated API route, in Discord's order: authentication (401), armed faults,
/// then the route's rate-limit bucket (headers on every answer, 429 when spent).
/// </summary>
public sealed class DiscordGate
{
    public const string AccountItem = "sandbox.account";

    private readonly RequestDelegate _next;
    private readonly SandboxState _state;
    private readonly SandboxFaults _faults;
    private readonly SandboxOptions _options;
    private readonly RateLimitBuckets _buckets;

    public DiscordGate(RequestDelegate next, SandboxState state, SandboxFaults faults, SandboxOptions options, RateLimitBuckets buckets)
    {
        _next = next;
        _state = state;
        _faults = faults;
        _options = options;
        _buckets = buckets;
    }

    public static SandboxAccount AccountOf(HttpContext context) => (SandboxAccount)context.Items[AccountItem]!;

    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/api/v10"))
        {
            await _next(context);
            return;
        }

        // reference.mdx, "User Agent": requests without a valid one "may be blocked"; the sandbox blocks them, with
        // the JSON error code 40333 (topics/opcodes-and-status-codes.mdx).
        if (string.IsNullOrWhiteSpace(context.Request.Headers.UserAgent))
        {
            await DiscordErrors.CloudflareBlocked().ExecuteAsync(context);
            return;
        }

        var route = context.GetEndpoint()?.Metadata.GetMetadata<DiscordRoute>();
        if (route is null)
        {
            await DiscordErrors.NotFound().ExecuteAsync(context);
            return;
        }

        string token = context.Request.Headers.Authorization.ToString();
        var account = _state.FindAccount(token);
        if (account is null || _faults.IsTokenInvalid(token))
        {
            await DiscordErrors.Unauthorized().ExecuteAsync(context);
            return;
        }
        context.Items[AccountItem] = account;

        string major = route.MajorParameter is null ? "" : context.Request.RouteValues[route.MajorParameter]?.ToString() ?? "";
        var policy = _options.RateLimits.GetValueOrDefault(route.Name) ?? new RateLimitPolicy(50, TimeSpan.FromSeconds(1));

        if (_faults.TakeHttpFault(route.Name, token) is { } fault)
        {
            if (fault.Refusal is { } refusal)
                await DiscordErrors.Refusal(refusal).ExecuteAsync(context);
            else if (fault.StatusCode == 429)
                await RateLimited(context, fault.RetryAfter, fault.Global, new RateLimitDecision(false, fault.Global, policy.Limit, 0,
                    _options.Clock.GetUtcNow() + fault.RetryAfter, fault.RetryAfter, RateLimitBuckets.BucketName(route.Name)));
            else
                await DiscordErrors.ServerError(fault.StatusCode).ExecuteAsync(context);
            return;
        }

        var decision = _buckets.Take(token, route.Name, major, policy);
        if (!decision.Global) WriteHeaders(context.Response, decision);
        if (!decision.Allowed)
        {
            await RateLimited(context, decision.ResetAfter, decision.Global, decision);
            return;
        }
        // reference.mdx, "Content Type": a body must be application/json, application/x-www-form-urlencoded or
        // multipart/form-data, "Failing to do so will result in a 50035".
        if (!HttpMethods.IsGet(context.Request.Method) && !HasValidContentType(context.Request))
        {
            await DiscordErrors.InvalidFormBody("", "CONTENT_TYPE_INVALID", "Expected Content-Type application/json, application/x-www-form-urlencoded or multipart/form-data.")
                .ExecuteAsync(context);
            return;
        }
        await _next(context);
    }

    private static bool HasValidContentType(HttpRequest request) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
        && type.MediaType.Value?.ToLowerInvariant() is "application/json" or "application/x-www-form-urlencoded" or "multipart/form-data";

    private static async Task RateLimited(HttpContext context, TimeSpan retryAfter, bool global, RateLimitDecision decision)
    {
        var headers = context.Response.Headers;
        if (global)
        {
            headers["X-RateLimit-Global"] = "true";
            headers["X-RateLimit-Scope"] = "global";
        }
        else
        {
            WriteHeaders(context.Response, decision);
            headers["X-RateLimit-Scope"] = "user";
        }
        double seconds = Math.Round(Math.Max(retryAfter.TotalSeconds, 0.001), 3);
        headers.RetryAfter = ((int)Math.Ceiling(seconds)).ToString(CultureInfo.InvariantCulture);
        await DiscordErrors.Json(429, new RateLimitedObject("You are being rate limited.", seconds, global)).ExecuteAsync(context);
    }

    private static void WriteHeaders(HttpResponse response, RateLimitDecision decision)
    {
        var headers = response.Headers;
        headers["X-RateLimit-Limit"] = decision.Limit.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Remaining"] = decision.Remaining.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Reset"] = (decision.ResetAt.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);
        headers["X-RateLimit-Reset-After"] = Math.Max(0, decision.ResetAfter.TotalSeconds).ToString("0.000", CultureInfo.InvariantCulture);
        headers["X-RateLimit-Bucket"] = decision.Bucket;
    }
}
