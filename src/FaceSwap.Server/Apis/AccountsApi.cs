using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FaceSwap.Core.Accounts;
using FaceSwap.Core.Intake;
using FaceSwap.Core.Storage;
using FaceSwap.Server.Auth;
using FaceSwap.Server.Wire;

namespace FaceSwap.Server.Apis;

/// <summary>Accounts (channels): where a user's commands run. Spec section 2.</summary>
public static partial class AccountsApi
{
    public static RouteGroupBuilder MapAccountsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/account", ListAccounts);
        api.MapGet("/account/{channel}", GetAccount);
        api.MapPost("/account/{channel}", SaveAccount);
        api.MapDelete("/account/{channel}", DeleteAccount);
        return api;
    }

    /// <summary>Discord ids are snowflakes: 17–20 digits.</summary>
    [GeneratedRegex("^[0-9]{17,20}$")]
    private static partial Regex SnowflakeDigits();

    /// <summary>A Discord id: 17–20 digits that fit the unsigned 64 bits a snowflake is (20 digits may not).</summary>
    public static bool IsSnowflake(string text) =>
        SnowflakeDigits().IsMatch(text) && ulong.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _);

    /// <summary>A local channel is named by the operator: letters, digits, '-' and '_'.</summary>
    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex LocalChannelName();

    private static async Task<IResult> ListAccounts(HttpContext http, IAccountStore accounts, AccountCapabilities capabilities)
    {
        var list = await accounts.ListAsync(Caller.Of(http).UserId, http.RequestAborted);
        if (list.Count == 0) return ApiError.NoConfiguration();
        var view = new JsonObject();
        foreach (var account in list) view[account.Channel] = Render(account, capabilities);
        return Results.Json(view);
    }

    private static async Task<IResult> GetAccount(string channel, HttpContext http, IAccountStore accounts, AccountCapabilities capabilities)
    {
        var account = await accounts.GetAsync(Caller.Of(http).UserId, channel, http.RequestAborted);
        return account is null ? ApiError.NoConfiguration() : Results.Json(Render(account, capabilities));
    }

    private static async Task<IResult> SaveAccount(string channel, HttpContext http, IAccountStore accounts)
    {
        var userId = Caller.Of(http).UserId;
        var body = await JsonBodies.ReadAsync(http.Request, http.RequestAborted);
        if (FieldLimits.Check("channel", channel) is { } longChannel) return longChannel.ToResult();
        // {"sandbox": true}: a sandbox channel of the caller's own (docs/sandbox.md, "Sandbox channels").
        if (body?["sandbox"] is { } sandboxFlag)
        {
            if (sandboxFlag.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                return ApiError.Result(400, "Param sandbox must be true or false");
            if (sandboxFlag.GetValueKind() == JsonValueKind.True)
                return http.RequestServices.GetService<Hosting.SandboxChannels>() is { } sandbox
                    ? await sandbox.EnableAsync(userId, channel, http.RequestAborted)
                    : ApiError.Result(400, "The sandbox is not enabled on this server", "Set FaceSwap:Sandbox:Enabled=true to use sandbox channels.");
        }
        var engine = JsonBodies.Text(body, "engine") ?? EngineNames.Discord;
        var bodyChannel = JsonBodies.Text(body, "channel", number: true);
        var existing = await accounts.ListAsync(userId, http.RequestAborted);
        Account account;
        if (engine == EngineNames.Local)
        {
            if (!LocalChannelName().IsMatch(channel))
                return ApiError.Result(400, $"Required param channel ({channel}) is not valid local channel name", "Use letters, digits, '-' and '_', at most 64 characters.");
            if (bodyChannel is not null && bodyChannel != channel)
                return ApiError.Result(400, $"Required param channel ({bodyChannel}) not matching to /faceswap/account/{channel}");
            account = new Account { UserId = userId, Channel = channel, Engine = EngineNames.Local, Created = DateTimeOffset.UtcNow };
        }
        else if (engine == EngineNames.Discord)
        {
            var discord = JsonBodies.Text(body, "discord");
            var server = JsonBodies.Text(body, "server", number: true);
            if (discord is null) return ApiError.MissingParam("discord");
            if (server is null) return ApiError.MissingParam("server");
            if (bodyChannel is null) return ApiError.MissingParam("channel");
            if (!IsSnowflake(bodyChannel))
                return ApiError.Result(400, $"Required param channel ({bodyChannel}) is not valid Discord channel id");
            if (bodyChannel != channel)
                return ApiError.Result(400, $"Required param channel ({bodyChannel}) not matching to /faceswap/account/{channel}");
            if (!IsSnowflake(server))
                return ApiError.Result(400, $"Required param server ({server}) is not valid Discord server id");
            var others = existing.Where(a => a.Channel != channel && a.Engine == EngineNames.Discord).ToList();
            if (others.FirstOrDefault(a => a.DiscordToken == discord) is { } sameDiscord)
                return ApiError.Result(400, $"Channel {sameDiscord.Channel} configuration has same discord value");
            if (others.FirstOrDefault(a => a.Server == server) is { } sameServer)
                return ApiError.Result(400, $"Channel {sameServer.Channel} configuration has same server value");
            account = new Account
            {
                UserId = userId, Channel = channel, Engine = EngineNames.Discord, Server = server,
                DiscordToken = discord, Created = DateTimeOffset.UtcNow,
            };
        }
        else
        {
            return ApiError.Result(400, $"Param engine ({engine}) is not valid", "Use \"discord\" (the default) or \"local\".");
        }
        await accounts.UpsertAsync(account, http.RequestAborted);
        return Results.NoContent();
    }

    private static async Task<IResult> DeleteAccount(string channel, HttpContext http, IAccountStore accounts) =>
        await accounts.DeleteAsync(Caller.Of(http).UserId, channel, http.RequestAborted)
            ? Results.NoContent()
            : ApiError.NoConfiguration();

    private static JsonObject Render(Account account, AccountCapabilities capabilities)
    {
        var view = new JsonObject();
        if (account.Server is not null) view["server"] = account.Server;
        view["channel"] = account.Channel;
        if (account.DiscordToken is not null) view["discord"] = DiscordTokenProtector.Mask(account.DiscordToken);
        view["engine"] = account.Engine;
        if (account.Credits is { } credits)
        {
            view["credits"] = new JsonObject
            {
                ["timestamp"] = credits.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'"),
                ["total"] = credits.Total,
                ["used"] = credits.Used,
            };
        }
        view["health"] = HealthName(account.Health);
        if (account.HealthDetail is not null) view["healthDetail"] = account.HealthDetail;
        if (capabilities.Describe(account) is { } described) view["capabilities"] = ServerPaths.Redact(described);
        return view;
    }

    private static string HealthName(AccountHealth health) => health switch
    {
        AccountHealth.Ok => "ok",
        AccountHealth.TokenInvalid => "token_invalid",
        AccountHealth.Locked => "locked",
        AccountHealth.Forbidden => "forbidden",
        AccountHealth.CreditsExhausted => "credits_exhausted",
        _ => health.ToString(),
    };

}

/// <summary>What an engine wants to say about an account (the local engine: its tier and models).</summary>
public sealed class AccountCapabilities(IEnumerable<IAccountDescriber> describers)
{
    public JsonNode? Describe(Account account) =>
        describers.Select(d => d.Describe(account)).FirstOrDefault(node => node is not null);
}

public interface IAccountDescriber
{
    JsonNode? Describe(Account account);
}

/// <summary>
/// Where this server keeps its files is the operator's business: what users see names files, never their
/// folders (the operator's <c>models</c> command shows everything).
/// </summary>
public static partial class ServerPaths
{
    /// <summary>An absolute path (Unix or Windows), up to a space, quote or separator that ends it.</summary>
    [GeneratedRegex(@"(?<![\w.:/])(?:[A-Za-z]:\\|/)(?:[^\s'"",;:()\[\]]+[/\\])*(?<name>[^\s'"",;:()\[\]/\\]*)")]
    private static partial Regex AbsolutePath();

    /// <summary>A copy of <paramref name="node"/> with every absolute path in its strings cut to its last part.</summary>
    public static JsonNode? Redact(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, Redact(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Redact).ToArray()),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => JsonValue.Create(Redact(v.GetValue<string>())),
        _ => node?.DeepClone(),
    };

    public static string Redact(string text) => AbsolutePath().Replace(text, m => m.Groups["name"].Value);
}
