using System.Collections.Concurrent;

namespace FaceSwap.Discord.Rest;

/// <summary>
/// Which Discord user each token belongs to (<c>GET /users/@me</c>, once per token and process): replies
/// to our commands name that user in <c>interaction_metadata.user</c>.
/// </summary>
public sealed class DiscordUsers(DiscordRestClient rest)
{
    private readonly ConcurrentDictionary<string, string> idByToken = new();

    public async Task<string> IdOfAsync(string token, CancellationToken ct)
    {
        if (idByToken.TryGetValue(token, out var known))
        {
            return known;
        }
        var user = await rest.GetCurrentUserAsync(token, ct);
        idByToken[token] = user.Id;
        return user.Id;
    }
}
