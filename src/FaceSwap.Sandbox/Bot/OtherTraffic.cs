using System.Security.Cryptography;
using FaceSwap.Sandbox.Discord;

namespace FaceSwap.Sandbox.Bot;

/// <summary>
/// Other people in the channel: plain chat, and other users' commands with the bot's replies to them, which look
/// like ours in everything but <c>interaction_metadata.user</c> (and the mention in the text). Drawn from the
/// seeded plan (<see cref="ReplyPlanOptions.OtherTraffic"/>), so a test run can be replayed.
/// </summary>
internal sealed class OtherTraffic(SandboxState state, SandboxOptions options)
{
    private static readonly string[] Chat = ["hi all", "anyone tried headshot today?", "nice result!", "idname me created", "lol", "brb"];

    // Another user's deferred reply still loading, filled in at the next appearance.
    private readonly Dictionary<string, (ulong MessageId, MessageAuthor User)> _loading = [];
    private readonly Lock _gate = new();

    public void MaybeAppear(SandboxChannel channel)
    {
        if (state.Plan.NextTraffic() is not double pick) return;
        var user = state.Bystanders[(int)(pick * 1000) % state.Bystanders.Count];
        lock (_gate)
        {
            if (_loading.Remove(channel.Id, out var loading))
            {
                state.Edit(channel, loading.MessageId, BotTexts.IdCreated("me"), [], m => m with { Flags = 0 });
                return;
            }
            switch (pick)
            {
                case < 0.35:
                    state.Post(channel, user, Chat[(int)(pick * 100) % Chat.Length], []);
                    break;
                case < 0.55:
                    BotReply(channel, user, "saveid", BotTexts.IdCreated("me"));
                    break;
                case < 0.7:
                    BotReply(channel, user, "swapid", BotTexts.SwapResult(user.Id, "me", 40, options.DailyCredits));
                    break;
                case < 0.85:
                    BotReply(channel, user, "headshot", BotTexts.JobSubmitted(user.Id, "Headshot",
                        Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), CreditPrices.Headshot, "studio", 30, options.DailyCredits));
                    break;
                default:
                    var message = BotReply(channel, user, "saveid", "", MessageFlags.Loading);
                    _loading[channel.Id] = (message.Id, user);
                    break;
            }
        }
    }

    private ChannelMessage BotReply(SandboxChannel channel, MessageAuthor user, string command, string content, int flags = 0) =>
        state.Post(channel, state.BotUser, content, [], message => message with
        {
            Type = MessageTypes.ChatInputCommand,
            Interaction = new InteractionMetadata(state.Ids.Next(), user, command),
            ApplicationId = options.BotApplicationId,
            WebhookId = options.BotApplicationId,
            Flags = flags,
        });
}
