using FaceSwap.Core.Accounts;
using FaceSwap.Core.Dispatch;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;

namespace FaceSwap.Core.Intake;

/// <summary>Which of the user's accounts a command runs on: channel rules (a) and (b) of the spec.</summary>
public static class ChannelSelection
{
    public static async Task<Account> PickAsync(CommandSpec spec, string? channel, long userId, bool blocking,
        IAccountStore accounts, IJobStore jobs, EngineRegistry engines, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (channel is not null)
        {
            var named = await accounts.GetAsync(userId, channel, cancellationToken)
                ?? throw new RefusedException(Refusal.ChannelNotFound(channel));
            return EnsureSupported(named, spec.Verb, engines);
        }
        var all = await accounts.ListAsync(userId, cancellationToken);
        if (all.Count == 0)
            throw new RefusedException(Refusal.NoConfiguration());
        if (spec.ChannelRule == ChannelRule.SingleOrRequired)
        {
            return all.Count == 1 ? EnsureSupported(all[0], spec.Verb, engines) : throw new RefusedException(400, "Required param channel is missing or empty",
                $"You have {all.Count} channels configured; name one of them.");
        }
        // Rule (b): spread the load over healthy channels with credits left that can run this verb.
        var now = clock.GetUtcNow();
        var candidates = all.Where(a => a.IsAvailable(now) && engines.Supports(a.Engine, spec.Verb)).ToList();
        if (candidates.Count == 0)
        {
            throw new RefusedException(400, "No configured channel can run this command now",
                "Every channel is out of credits, has an invalid token, or runs an engine without this command.");
        }
        if (blocking)
        {
            // Prefer channels without a blocking job.
            var busyChannels = await jobs.ListBusyChannelsAsync(userId, cancellationToken);
            var idle = candidates.Where(a => !busyChannels.Contains(a.Channel)).ToList();
            if (idle.Count > 0) candidates = idle;
        }
        return candidates[Random.Shared.Next(candidates.Count)];
    }

    /// <summary>A channel named (or the only one) whose engine does not have the command is a clear 400, before anything is stored.</summary>
    private static Account EnsureSupported(Account account, Verb verb, EngineRegistry engines)
    {
        if (engines.Supports(account.Engine, verb)) return account;
        var supported = engines.Find(account.Engine)?.SupportedVerbs;
        throw new RefusedException(400, $"The {account.Engine} engine can not run {verb.ToWire()}",
            supported is null
                ? $"No engine named {account.Engine} runs on this server."
                : $"Channel {account.Channel} runs the {account.Engine} engine, which has {string.Join(", ", supported.Order().Select(v => v.ToWire()))}; "
                  + $"{verb.ToWire()} needs a generative model or a bot it does not have. Run it on a channel whose engine has it.");
    }
}
