using FaceSwap.Sandbox.Bot;
using FaceSwap.Sandbox.Discord;

namespace FaceSwap.Sandbox;

/// <summary>
/// The sandbox's saved state: what Discord and the bot would still hold after our server restarts (real Discord
/// never notices a restart of ours). Byte arrays are kept as content-addressed blob files beside it.
/// </summary>
internal sealed record SandboxSnapshot(
    int Version,
    string CdnKey,
    int PlanSeed,
    long PatternDraws,
    long TrafficDraws,
    ulong LastId,
    IReadOnlyList<MessageAuthor> Bystanders,
    IReadOnlyList<AccountSnapshot> Accounts,
    IReadOnlyList<PublishedCommand> Commands,
    IReadOnlyList<ChannelSnapshot> Channels,
    IReadOnlyList<CreditsUsed> Credits,
    IReadOnlyList<UploadStore.PendingUpload> Uploads,
    IReadOnlyList<PendingInteractionSnapshot> PendingInteractions,
    IReadOnlyList<PendingJobSnapshot> PendingJobs)
{
    public const int CurrentVersion = 1;
}

internal sealed record AccountSnapshot(string Token, string UserId, string Username, IReadOnlyList<string> Guilds);

internal sealed record ChannelSnapshot(string Id, string GuildId, IReadOnlyList<ChannelMessage> Messages, IReadOnlyList<ChannelMessage> Ephemeral,
    SavedFaceIdsSnapshot SavedIds);

internal sealed record PendingInteractionSnapshot(ulong Id, string ChannelId, string UserToken, string Command,
    IReadOnlyDictionary<string, string> Strings, IReadOnlyDictionary<string, InteractionFile> Files, ulong? TargetId,
    DateTimeOffset AcceptedAt, PlannedReply Plan, ulong? AcknowledgementId, DateTimeOffset Due);

internal sealed record PendingJobSnapshot(ulong InteractionId, string ChannelId, string UserToken, string Command, DateTimeOffset AcceptedAt,
    ulong FirstMessageId, AsyncJob Job, AsyncResultStyle Style, DateTimeOffset Due);
