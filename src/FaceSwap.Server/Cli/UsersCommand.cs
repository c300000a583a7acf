using System.CommandLine;
using System.Globalization;
using FaceSwap.Core;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Users;
using FaceSwap.Server.Hosting;

namespace FaceSwap.Server.Cli;

/// <summary>
/// <c>users add NAME [--expires DATE]</c>, <c>users list</c>, <c>users token NAME</c>, <c>users revoke NAME</c>,
/// <c>users expire NAME DATE|never</c>: the operator's user administration, straight on the database.
/// </summary>
public static class UsersCommand
{
    /// <summary>
    /// The stores as the server's configuration names them (storage provider, connection string, data folder),
    /// opened through the same registration as the server's, for a process of its own.
    /// </summary>
    public static ServiceProvider OpenStorage(IConfiguration configuration) =>
        new ServiceCollection().AddFaceSwapCore(configuration, ServerHost.DataDir(configuration)).BuildServiceProvider();

    public static Command Create(Func<IUserStore> openStore, TextWriter output)
    {
        var users = new Command("users", "Manage API users and their tokens");

        var name = new Argument<string>("name") { Description = "The user's name" };
        var expires = new Option<string?>("--expires") { Description = "Subscription end (ISO 8601 date or time, UTC)" };
        var add = new Command("add", "Add a user and print its new API token once") { name, expires };
        add.SetAction(async (parse, ct) =>
        {
            var store = openStore();
            var userName = parse.GetValue(name)!;
            if (await store.FindUserAsync(userName, ct) is not null) return Fail(output, $"User {userName} exists already");
            var until = ParseDate(parse.GetValue(expires));
            var user = await store.AddUserAsync(userName, until, ct);
            var token = await IssueTokenAsync(store, user.Id, ct);
            output.WriteLine($"Added user {user.Name} (id {user.Id}){(until is { } d ? $", subscription until {d:O}" : "")}.");
            output.WriteLine($"API token (shown only this once): {token}");
            return 0;
        });

        var list = new Command("list", "List users, their subscription end and tokens");
        list.SetAction(async (_, ct) =>
        {
            var store = openStore();
            foreach (var user in await store.ListUsersAsync(ct))
            {
                var tokens = await store.ListTokensAsync(user.Id, ct);
                var active = tokens.Where(t => t.Revoked is null).Select(t => ShortHint(t.Hint));
                output.WriteLine($"{user.Id}\t{user.Name}\texpires={user.Expires?.ToString("O") ?? "never"}\ttokens={string.Join(",", active)}\trevoked={tokens.Count(t => t.Revoked is not null)}");
            }
            return 0;
        });

        var tokenName = new Argument<string>("name") { Description = "The user's name" };
        var token = new Command("token", "Issue another API token for a user and print it once") { tokenName };
        token.SetAction(async (parse, ct) =>
        {
            var store = openStore();
            if (await store.FindUserAsync(parse.GetValue(tokenName)!, ct) is not { } user) return Fail(output, "No such user");
            output.WriteLine($"API token (shown only this once): {await IssueTokenAsync(store, user.Id, ct)}");
            return 0;
        });

        var revokeName = new Argument<string>("name") { Description = "The user's name" };
        var revoke = new Command("revoke", "Revoke every token of a user (their calls then answer 402)") { revokeName };
        revoke.SetAction(async (parse, ct) =>
        {
            var store = openStore();
            if (await store.FindUserAsync(parse.GetValue(revokeName)!, ct) is not { } user) return Fail(output, "No such user");
            output.WriteLine($"Revoked {await store.RevokeTokensAsync(user.Id, ct)} token(s) of {user.Name}.");
            return 0;
        });

        var expireName = new Argument<string>("name") { Description = "The user's name" };
        var expireDate = new Argument<string>("date") { Description = "Subscription end (ISO 8601, UTC), or 'never'" };
        var expire = new Command("expire", "Set or clear a user's subscription end") { expireName, expireDate };
        expire.SetAction(async (parse, ct) =>
        {
            var store = openStore();
            if (await store.FindUserAsync(parse.GetValue(expireName)!, ct) is not { } user) return Fail(output, "No such user");
            var raw = parse.GetValue(expireDate)!;
            var until = raw == "never" ? null : ParseDate(raw);
            await store.SetExpiryAsync(user.Id, until, ct);
            output.WriteLine($"Subscription of {user.Name} ends {until?.ToString("O") ?? "never"}.");
            return 0;
        });

        users.Subcommands.Add(add);
        users.Subcommands.Add(list);
        users.Subcommands.Add(token);
        users.Subcommands.Add(revoke);
        users.Subcommands.Add(expire);
        return users;
    }

    private static async Task<string> IssueTokenAsync(IUserStore store, long userId, CancellationToken ct)
    {
        var token = ApiTokens.Generate();
        await store.AddTokenAsync(userId, ApiTokens.Hash(token), ApiTokens.Hint(token), ct);
        return token;
    }

    /// <summary>
    /// At most four characters of a token: hints stored before they were cut to that (six leading and four
    /// trailing characters) are shown by their end only.
    /// </summary>
    private static string ShortHint(string hint) => hint.Length > 5 ? "…" + hint[^4..] : hint;

    private static DateTimeOffset? ParseDate(string? raw) => raw is null
        ? null
        : DateTimeOffset.Parse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private static int Fail(TextWriter output, string message)
    {
        output.WriteLine(message);
        return 1;
    }
}
