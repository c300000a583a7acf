using FaceSwap.Core.Accounts;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;
using FaceSwap.Server.Wire;

namespace FaceSwap.Server.Apis;

/// <summary>Which of the user's accounts a command runs on: channel rules (a) and (b) of the spec.</summary>
public static class ChannelSelection
{
    public static async Task<Account> PickAsync(CommandSpec spec, string? channel, long userId, bool blocking,
        IAccountStore accounts, IJobStore jobs, CancellationToken cancellationToken)
    {
        if (channel is not null)
        {
            return await accounts.GetAsync(userId, channel, cancellationToken)
                ?? throw new ApiException(404, "Configuration not found for provided channel", $"Channel {channel} is not configured; see POST /account/{channel}.");
        }
        var all = await accounts.ListAsync(userId, cancellationToken);
        if (all.Count == 0)
            throw new ApiException(404, "Configuration not found. To create configuration use faceswap/account/channel.");
        if (spec.ChannelRule == ChannelRule.SingleOrRequired)
        {
            return all.Count == 1 ? all[0] : throw new ApiException(400, "Required param channel is missing or empty",
                $"You have {all.Count} channels configured; name one of them.");
        }
        // Rule (b): spread the load over healthy channels with credits left that can run this verb.
        var now = DateTimeOffset.UtcNow;
        var candidates = all.Where(a => a.IsAvailable(now) && CanRun(a, spec.Verb)).ToList();
        if (candidates.Count == 0)
        {
            throw new ApiException(400, "No configured channel can run this command now",
                "Every channel is out of credits, has an invalid token, or runs an engine without this command.");
        }
        if (blocking)
        {
            // Prefer channels without a blocking job; each executing job is read once, whatever the number of channels.
            var busyChannels = new HashSet<string>();
            foreach (var id in await jobs.ListExecutingAsync(userId, cancellationToken))
            {
                if ((await jobs.FindAsync(id, cancellationToken)).Job is { Blocking: true } job) busyChannels.Add(job.Channel);
            }
            var idle = candidates.Where(a => !busyChannels.Contains(a.Channel)).ToList();
            if (idle.Count > 0) candidates = idle;
        }
        return candidates[Random.Shared.Next(candidates.Count)];
    }

    private static bool CanRun(Account account, Verb verb) =>
        !(account.Engine == EngineNames.Local && verb is Verb.ChangeBg or Verb.Headshot);
}
