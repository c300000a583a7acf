using System.Security.Cryptography;
using FaceSwap.Sandbox.Discord;
using OpenCvSharp;

namespace FaceSwap.Sandbox.Bot;

/// <summary>
/// Other people in the channel: plain chat, and other users' commands with the bot's answers to them in every
/// pattern the bot plays (immediate, LOADING edited later, interim then follow-up, "Job Submitted" then a result),
/// with the same texts and attachments ours get. Only <c>interaction_metadata.user</c> (and the mention in the text)
/// tells them from ours. Drawn from the seeded plan (<see cref="ReplyPlanOptions.OtherTraffic"/>), so a run replays.
/// </summary>
internal sealed class OtherTraffic(SandboxState state, SandboxOptions options)
{
    private static readonly string[] Chat = ["hi all", "anyone tried headshot today?", "nice result!", "idname me created", "lol", "[SaveID: 'me']"];
    private static readonly Lazy<byte[]> Picture = new(() =>
    {
        using var image = new Mat(32, 32, MatType.CV_8UC3, new Scalar(90, 140, 200));
        Cv2.Circle(image, new Point(16, 16), 8, new Scalar(20, 60, 220), -1);
        return image.ImEncode(".png");
    });

    /// <summary>Something a bystander's command left open: a LOADING message, an interim text, a submitted job.</summary>
    private sealed record Open(string Kind, ChannelMessage Message, MessageAuthor User, string? JobId = null);

    private readonly Dictionary<string, List<Open>> _open = [];
    private readonly Lock _gate = new();

    public void MaybeAppear(SandboxChannel channel)
    {
        if (state.Plan.NextTraffic() is not double pick) return;
        var user = state.Bystanders[(int)(pick * 997) % state.Bystanders.Count];
        lock (_gate)
        {
            var open = _open.TryGetValue(channel.Id, out var list) ? list : _open[channel.Id] = [];
            if (open.Count > 0 && pick < 0.4)
            {
                Close(channel, open[0]);
                open.RemoveAt(0);
                return;
            }
            switch (pick)
            {
                case < 0.5:
                    state.Post(channel, user, Chat[(int)(pick * 1000) % Chat.Length], []);
                    break;
                case < 0.6:
                    Answer(channel, user, "saveid", BotTexts.IdCreated("me"), []);
                    break;
                case < 0.7:
                    Answer(channel, user, "swapid", BotTexts.SwapResult(user.Id, "me", 40, options.DailyCredits), [new SandboxFile("INSwapper.png", Picture.Value)]);
                    break;
                case < 0.78:
                    open.Add(new("loading", Answer(channel, user, "saveid", "", [], MessageFlags.Loading), user));
                    break;
                case < 0.86:
                    open.Add(new("interim", Answer(channel, user, "swapid", BotTexts.Interim(user.Id), []), user));
                    break;
                default:
                    string jobId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
                    var submitted = Answer(channel, user, "headshot",
                        BotTexts.JobSubmitted(user.Id, "Headshot", jobId, CreditPrices.Headshot, "studio", 30, options.DailyCredits), []);
                    open.Add(new("job", submitted, user, jobId));
                    break;
            }
        }
    }

    private void Close(SandboxChannel channel, Open item)
    {
        switch (item.Kind)
        {
            case "loading":
                state.Edit(channel, item.Message.Id, BotTexts.IdCreated("me"), [], m => m with { Flags = 0 });
                break;
            case "interim":
                state.Post(channel, state.BotUser, BotTexts.SwapResult(item.User.Id, "me", 39, options.DailyCredits),
                    [new SandboxFile("INSwapper.png", Picture.Value)], m => Shape(m, item.User, "swapid") with
                    {
                        Interaction = item.Message.Interaction! with { OriginalResponseMessageId = item.Message.Id },
                    });
                break;
            default:
                state.Post(channel, state.BotUser, BotTexts.JobCompleted(item.User.Id, "Headshot", item.JobId!),
                    [new SandboxFile("Picsi.Ai_Headshot.png", Picture.Value)], m => m with
                    {
                        Type = MessageTypes.Reply,
                        Reference = new MessageReference(item.Message.Id, channel.Id, channel.GuildId),
                    });
                break;
        }
    }

    private ChannelMessage Answer(SandboxChannel channel, MessageAuthor user, string command, string content, IReadOnlyList<SandboxFile> files, int flags = 0) =>
        state.Post(channel, state.BotUser, content, files, m => Shape(m, user, command) with { Flags = flags });

    private ChannelMessage Shape(ChannelMessage message, MessageAuthor user, string command) => message with
    {
        Type = MessageTypes.ChatInputCommand,
        Interaction = new InteractionMetadata(state.Ids.Next(), user, command),
        ApplicationId = options.BotApplicationId,
        WebhookId = options.BotApplicationId,
    };
}
