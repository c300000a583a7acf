using System.Data.Common;
using FaceSwap.Core.Accounts;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Users;
using Microsoft.Extensions.Options;

namespace FaceSwap.Server.Hosting;

/// <summary>A channel the host gives the bootstrap user at start (the sandbox channel, the local channel).</summary>
public sealed record DefaultChannel(Account Template);

/// <summary>
/// Makes sure someone can call the API on first start: the configured bootstrap token's user, or else (on
/// an empty database) a new user whose token is printed once. The bootstrap user gets the default channels.
/// </summary>
public sealed class Bootstrap(IUserStore users, IAccountStore accounts, IOptions<AuthOptions> auth,
    IEnumerable<DefaultChannel> defaultChannels, ILogger<Bootstrap> logger)
{
    public const string BootstrapUserName = "bootstrap";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        User? user;
        try
        {
            user = await EnsureBootstrapUserAsync(cancellationToken);
        }
        catch (DbException)
        {
            // Another node starting on the same database created the user between our look and our insert: it is there now.
            user = await EnsureBootstrapUserAsync(cancellationToken);
        }
        if (user is null) return;
        foreach (var channel in defaultChannels)
        {
            if (await accounts.GetAsync(user.Id, channel.Template.Channel, cancellationToken) is not null) continue;
            await accounts.UpsertAsync(channel.Template with { UserId = user.Id, Created = DateTimeOffset.UtcNow }, cancellationToken);
            logger.LogInformation("Configured {Engine} channel {Channel} for user {User}", channel.Template.Engine, channel.Template.Channel, user.Name);
        }
    }

    private async Task<User?> EnsureBootstrapUserAsync(CancellationToken cancellationToken)
    {
        var configured = auth.Value.BootstrapToken;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var hash = ApiTokens.Hash(configured);
            var found = await users.FindByTokenHashAsync(hash, cancellationToken);
            // A token the operator revoked, or one that belongs to another user, stays as it is.
            if (found is var (existing, owner) && (existing.Revoked is not null || owner.Name != BootstrapUserName)) return owner;
            var user = found?.User
                ?? await users.FindUserAsync(BootstrapUserName, cancellationToken)
                ?? await users.AddUserAsync(BootstrapUserName, null, cancellationToken);
            // A changed setting replaces the token: the previous value stops working.
            await users.EnsureBootstrapTokenAsync(user.Id, hash, ApiTokens.Hint(configured), cancellationToken);
            return user;
        }
        if ((await users.ListUsersAsync(cancellationToken)).Count > 0)
            return await users.FindUserAsync(BootstrapUserName, cancellationToken);
        var created = await users.AddUserAsync(BootstrapUserName, null, cancellationToken);
        var token = ApiTokens.Generate();
        await users.AddTokenAsync(created.Id, ApiTokens.Hash(token), ApiTokens.Hint(token), cancellationToken);
        // Printed on the console once, never logged: it is the only time the clear token exists.
        Console.WriteLine($"""

            FaceSwap: created user '{BootstrapUserName}'. Its API token (shown only this once):

                {token}

            """);
        return created;
    }
}
