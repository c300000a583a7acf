using FaceSwap.Core.Intake;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Users;
using FaceSwap.Server.Wire;

namespace FaceSwap.Server.Auth;

/// <summary>The authenticated user behind a request and the token they used.</summary>
public sealed record Caller(User User, ApiToken Token)
{
    public long UserId => User.Id;

    public static Caller Of(HttpContext context) =>
        context.Items[typeof(Caller)] as Caller ?? throw new InvalidOperationException("The endpoint is not behind the bearer filter");
}

/// <summary>
/// Bearer-token check for every API endpoint: unknown or malformed → 401; revoked token or expired
/// subscription → 402, both exactly as the API spells them.
/// </summary>
public sealed class BearerTokenFilter(TokenCache tokens, TimeProvider clock) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (TokenOf(http.Request) is not { } token) return ApiError.Unauthorized();
        if (await tokens.FindAsync(token, http.RequestAborted) is not { } caller) return ApiError.Unauthorized();
        if (caller.Token.Revoked is not null || caller.User.IsExpired(clock.GetUtcNow())) return ApiError.NoSubscription();
        http.Items[typeof(Caller)] = caller;
        try
        {
            return await next(context);
        }
        catch (RefusedException e)
        {
            return e.Refusal.ToResult();
        }
    }

    /// <summary>The token of <c>Authorization: Bearer &lt;token&gt;</c> (the scheme in any case), or null.</summary>
    public static string? TokenOf(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || header.Length == scheme.Length) return null;
        return header[scheme.Length..].Trim();
    }
}
