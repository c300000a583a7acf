using System.Text.Json;
using System.Text.Json.Serialization;
using FaceSwap.Sandbox.Bot;
using FaceSwap.Sandbox.Discord;

namespace FaceSwap.Sandbox.Http;

/// <summary>
/// The sandbox's own controls under <c>/_sandbox</c> (not Discord's): faults and accounts for a standalone
/// sandbox that a test cannot reach in-process. No authentication: it listens on 127.0.0.1 only.
/// </summary>
public static class SandboxControlApi
{
    /// <summary>One fault to arm. Durations are seconds.</summary>
    public sealed record FaultRequest(
        string Kind,
        int Count = 1,
        string? Route = null,
        double RetryAfter = 1,
        bool Global = false,
        int Status = 503,
        double Delay = 0,
        string? Token = null,
        string? Pattern = null,
        string? Refusal = null);

    public sealed record AccountRequest(string Token, string GuildId, string ChannelId, string? Username = null);

    public static IEndpointRouteBuilder MapSandboxControlApi(this IEndpointRouteBuilder app)
    {
        var control = app.MapGroup("/_sandbox");
        control.MapGet("/faults", (SandboxFaults faults) => Describe(faults.Snapshot()));
        control.MapPost("/faults", ArmFault);
        control.MapDelete("/faults", (SandboxFaults faults) =>
        {
            faults.Clear();
            return Results.NoContent();
        });
        control.MapPost("/accounts", AddAccount);
        control.MapPost("/commands/republish", (SandboxState state) =>
        {
            state.Commands.Republish();
            return Results.NoContent();
        });
        return app;
    }

    private static async Task<IResult> ArmFault(HttpContext context, SandboxFaults faults)
    {
        FaultRequest? request;
        try { request = await JsonSerializer.DeserializeAsync<FaultRequest>(context.Request.Body, DiscordJson.Options); }
        catch (JsonException error) { return Problem(error.Message); }
        if (request is null) return Problem("a JSON body is required");
        try
        {
            switch (request.Kind)
            {
                case "rate_limit": faults.RateLimitNext(request.Count, TimeSpan.FromSeconds(request.RetryAfter), request.Route, request.Global); break;
                case "server_error": faults.FailNext(request.Count, request.Status, request.Route); break;
                case "reply_delay": faults.BotReplyDelay = TimeSpan.FromSeconds(request.Delay); break;
                case "reply_pattern" when ReplyPatterns.Parse(request.Pattern) is { } pattern: faults.PlayNext(pattern, request.Count); break;
                case "moderated": faults.ModerateNext(request.Count); break;
                case "refuse" when AccountRefusals.Parse(request.Refusal) is { } refusal:
                    faults.RefuseNext(refusal, request.Count, request.Route, request.Token);
                    break;
                case "invalid_token" when request.Token is not null: faults.InvalidateToken(request.Token); break;
                case "valid_token" when request.Token is not null: faults.RestoreToken(request.Token); break;
                default:
                    return Problem("kind must be one of rate_limit, server_error, reply_delay, reply_pattern (needs pattern: " +
                                   string.Join(", ", ReplyPatterns.Names) + "), moderated, refuse (needs refusal: " + string.Join(", ", AccountRefusals.Names) +
                                   "), invalid_token, valid_token (the last two need token)");
            }
        }
        catch (ArgumentException error) { return Problem(error.Message); }
        return Describe(faults.Snapshot());
    }

    private static async Task<IResult> AddAccount(HttpContext context, SandboxState state)
    {
        AccountRequest? request;
        try { request = await JsonSerializer.DeserializeAsync<AccountRequest>(context.Request.Body, DiscordJson.Options); }
        catch (JsonException error) { return Problem(error.Message); }
        if (request is null) return Problem("a JSON body is required");
        try { return Results.Json(new { user_id = state.AddAccount(request.Token, request.GuildId, request.ChannelId, request.Username) }); }
        catch (ArgumentException error) { return Problem(error.Message); }
    }

    private static IResult Describe(FaultSnapshot snapshot) => Results.Json(new
    {
        http_faults = snapshot.HttpFaults.Select(f => new
        {
            kind = f.Kind, remaining = f.Remaining, route = f.Route, status = f.StatusCode,
            retry_after = f.RetryAfter.TotalSeconds, global = f.Global,
            refusal = f.Refusal is { } r ? AccountRefusals.NameOf(r) : null, for_token = f.Token is not null,
        }),
        reply_delay = snapshot.BotReplyDelay.TotalSeconds,
        reply_patterns = snapshot.ForcedPatterns.Select(ReplyPatterns.NameOf),
        moderated_replies = snapshot.ModeratedReplies,
        invalid_tokens = snapshot.InvalidTokens.Count,
    });

    private static IResult Problem(string message) => Results.Json(new { message }, statusCode: 400);
}
