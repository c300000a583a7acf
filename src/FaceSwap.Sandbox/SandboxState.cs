using System.Collections.Concurrent;
using FaceSwap.Sandbox.Bot;
using FaceSwap.Sandbox.Discord;

namespace FaceSwap.Sandbox;

/// <summary>A Discord user account the sandbox knows, by its token.</summary>
public sealed class SandboxAccount
{
    internal SandboxAccount(string token, string userId, string username)
    {
        Token = token;
        UserId = userId;
        Username = username;
    }

    public string Token { get; }
    public string UserId { get; }
    public string Username { get; }
    internal ConcurrentDictionary<string, bool> Guilds { get; } = new();
    internal MessageAuthor AsAuthor => new(UserId, Username, Username, IsBot: false);
}

/// <summary>A guild text channel with the bot installed: its history and the bot's saved ids for it.</summary>
public sealed class SandboxChannel
{
    internal SandboxChannel(string id, string guildId, int capacity)
    {
        Id = id;
        GuildId = guildId;
        History = new ChannelHistory(capacity);
    }

    public string Id { get; }
    public string GuildId { get; }
    public ChannelHistory History { get; }
    public SavedFaceIds SavedIds { get; } = new();

    /// <summary>
    /// Ephemeral messages sent in this channel, for tests to inspect. Discord never serves them in channel history,
    /// to anyone (developers/resources/message.mdx, flag EPHEMERAL: "only visible to the user who invoked the Interaction").
    /// </summary>
    public IReadOnlyList<ChannelMessage> EphemeralMessages
    {
        get { lock (_ephemeral) return _ephemeral.ToArray(); }
    }

    private readonly List<ChannelMessage> _ephemeral = [];

    internal void AddEphemeral(ChannelMessage message)
    {
        lock (_ephemeral) _ephemeral.Add(message);
    }
}

/// <summary>A file to post in a channel as a user (a target for INSwapper, for instance).</summary>
public sealed record SandboxFile(string Filename, byte[] Bytes);

/// <summary>Everything the emulated Discord holds: accounts, guild channels, messages, files, uploads, credits.</summary>
public sealed class SandboxState
{
    private readonly ConcurrentDictionary<string, SandboxAccount> _accounts = new();
    private readonly ConcurrentDictionary<string, SandboxChannel> _channels = new();
    private readonly ConcurrentDictionary<ulong, StoredAttachment> _attachments = new();
    private readonly Lock _registration = new();
    private readonly SandboxOptions _options;

    internal SandboxState(SandboxOptions options, ReplyPlan plan)
    {
        _options = options;
        Plan = plan;
        Clock = options.Clock;
        Ids = new SnowflakeGenerator(options.Clock);
        Commands = new BotCommandIndex(Ids, options.BotApplicationId);
        Credits = new DailyCredits(options.Clock, options.DailyCredits);
        Uploads = new UploadStore(options.Clock, TimeSpan.FromHours(1), capacity: 512);
        Cdn = new CdnLinks(options.Clock, options.AttachmentLinkLifetime);
        BotUser = new MessageAuthor(options.BotApplicationId, "InsightFaceSwap", "InsightFaceSwap", IsBot: true);
        Bystanders = new[] { "ava", "ben", "chloe" }.Select(name => new MessageAuthor(Ids.Next().ToString(), name, name, IsBot: false)).ToArray();
    }

    public TimeProvider Clock { get; }

    private readonly ConcurrentQueue<AcceptedInteraction> _received = new();

    /// <summary>
    /// Every interaction Discord accepted (answered 204) since this process started, in order: what a test counts
    /// to prove a command reached the bot exactly once, whatever reply pattern or edit later hid its options.
    /// Observation only, not kept in the state file.
    /// </summary>
    public IReadOnlyCollection<AcceptedInteraction> Received => _received;

    /// <summary>Logs an accepted interaction without its files (a long-running sandbox must not keep every upload), the newest 100,000.</summary>
    internal void Receive(AcceptedInteraction interaction)
    {
        _received.Enqueue(interaction with { Files = new Dictionary<string, InteractionFile>() });
        while (_received.Count > 100_000) _received.TryDequeue(out _);
    }

    /// <summary>Raised after a change the state file must keep (set by <see cref="SandboxServer"/> when it has a data folder).</summary>
    internal Action? Changed { get; set; }

    internal void NotifyChanged() => Changed?.Invoke();

    /// <summary>The seeded plan that picks each interaction's reply pattern and the channel's other traffic.</summary>
    public ReplyPlan Plan { get; }

    /// <summary>Other users who chat and run commands in every channel (<see cref="ReplyPlanOptions.OtherTraffic"/>).</summary>
    public IReadOnlyList<MessageAuthor> Bystanders { get; private set; }

    public SnowflakeGenerator Ids { get; }
    public BotCommandIndex Commands { get; }
    public DailyCredits Credits { get; }
    public MessageAuthor BotUser { get; }
    internal UploadStore Uploads { get; }
    internal CdnLinks Cdn { get; private set; }

    /// <summary>
    /// Registers a Discord identity: the token's user is a member of the guild, whose channel has the bot installed.
    /// Calling it again with the same token adds another guild channel to the same user. Returns the user id.
    /// </summary>
    public string AddAccount(string userToken, string guildId, string channelId, string? username = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userToken);
        if (!SnowflakeGenerator.TryParse(guildId, out _)) throw new ArgumentException("the guild id must be a snowflake", nameof(guildId));
        if (!SnowflakeGenerator.TryParse(channelId, out _)) throw new ArgumentException("the channel id must be a snowflake", nameof(channelId));
        string userIdOut;
        lock (_registration)
        {
            var channel = _channels.GetOrAdd(channelId, id => new SandboxChannel(id, guildId, _options.MaxMessagesPerChannel));
            if (channel.GuildId != guildId)
                throw new ArgumentException($"channel {channelId} already belongs to guild {channel.GuildId}", nameof(channelId));
            var account = _accounts.GetOrAdd(userToken, token =>
            {
                string userId = Ids.Next().ToString();
                return new SandboxAccount(token, userId, username ?? $"user{userId[^4..]}");
            });
            account.Guilds[guildId] = true;
            userIdOut = account.UserId;
        }
        NotifyChanged();
        return userIdOut;
    }

    /// <summary>A token of a user who is in the channel's guild (the first registered), or null: how a host finds its account again after a restart.</summary>
    public string? TokenFor(string channelId) =>
        FindChannel(channelId) is { } channel
            ? _accounts.Values.Where(a => a.Guilds.ContainsKey(channel.GuildId)).OrderBy(a => ulong.Parse(a.UserId)).FirstOrDefault()?.Token
            : null;

    public SandboxAccount? FindAccount(string token) => _accounts.GetValueOrDefault(token);
    public SandboxChannel? FindChannel(string channelId) => _channels.GetValueOrDefault(channelId);

    /// <summary>The channel's messages, oldest first.</summary>
    public IReadOnlyList<ChannelMessage> Messages(string channelId) =>
        FindChannel(channelId)?.History.Snapshot() ?? throw new KeyNotFoundException($"unknown channel {channelId}");

    /// <summary>Posts a message as the token's user, e.g. the image an INSwapper interaction then targets.</summary>
    public ChannelMessage PostUserMessage(string userToken, string channelId, string content, params SandboxFile[] files)
    {
        var account = FindAccount(userToken) ?? throw new KeyNotFoundException("unknown token");
        var channel = FindChannel(channelId) ?? throw new KeyNotFoundException($"unknown channel {channelId}");
        var message = Post(channel, account.AsAuthor, content, files);
        NotifyChanged();
        return message;
    }

    internal ChannelMessage Post(SandboxChannel channel, MessageAuthor author, string content, IReadOnlyList<SandboxFile> files,
        Func<ChannelMessage, ChannelMessage>? decorate = null)
    {
        var attachments = files.Select(f => StoreAttachment(channel.Id, f.Filename, f.Bytes)).ToArray();
        var (added, evicted) = channel.History.Append(Ids, id =>
        {
            var message = new ChannelMessage(id, MessageTypes.Default, channel.Id, channel.GuildId, author, content,
                SnowflakeGenerator.TimestampOf(id), attachments, Mentions: MentionsIn(content));
            return decorate is null ? message : decorate(message);
        });
        // Files of messages that fell out of the history go too: the CDN must not outgrow the history.
        foreach (var attachment in evicted.SelectMany(m => m.Attachments)) _attachments.TryRemove(attachment.Id, out _);
        return added;
    }

    /// <summary>An ephemeral message: kept aside for tests, never in history.</summary>
    internal ChannelMessage PostEphemeral(SandboxChannel channel, MessageAuthor author, string content, Func<ChannelMessage, ChannelMessage> decorate)
    {
        var id = Ids.Next();
        var message = decorate(new ChannelMessage(id, MessageTypes.Default, channel.Id, channel.GuildId, author, content,
            SnowflakeGenerator.TimestampOf(id), [])) with { Flags = MessageFlags.Ephemeral };
        channel.AddEphemeral(message);
        return message;
    }

    /// <summary>Edits a message's content and files in place (same id, <c>edited_timestamp</c> set); null when it is gone.</summary>
    internal ChannelMessage? Edit(SandboxChannel channel, ulong messageId, string content, IReadOnlyList<SandboxFile> files,
        Func<ChannelMessage, ChannelMessage>? decorate = null)
    {
        var attachments = files.Select(f => StoreAttachment(channel.Id, f.Filename, f.Bytes)).ToArray();
        IReadOnlyList<StoredAttachment> replaced = [];
        var edited = channel.History.Replace(messageId, message =>
        {
            replaced = message.Attachments;
            var updated = message with
            {
                Content = content, Attachments = attachments, Mentions = MentionsIn(content), EditedTimestamp = _options.Clock.GetUtcNow(),
            };
            return decorate is null ? updated : decorate(updated);
        });
        // The files the edit dropped (or, when the message is gone, the new ones) leave the CDN.
        foreach (var attachment in edited is null ? attachments : replaced) _attachments.TryRemove(attachment.Id, out _);
        return edited;
    }

    /// <summary>
    /// The users a text mentions (<c>&lt;@id&gt;</c>), as Discord lists them in <c>mentions</c>
    /// (developers/resources/message.mdx; reference.mdx, "Message Formatting").
    /// </summary>
    private IReadOnlyList<MessageAuthor> MentionsIn(string content)
    {
        if (!content.Contains("<@", StringComparison.Ordinal)) return [];
        return System.Text.RegularExpressions.Regex.Matches(content, @"<@!?(\d{1,20})>")
            .Select(m => m.Groups[1].Value).Distinct()
            .Select(id => _accounts.Values.FirstOrDefault(a => a.UserId == id)?.AsAuthor ?? Bystanders.FirstOrDefault(b => b.Id == id))
            .OfType<MessageAuthor>().ToArray();
    }

    internal StoredAttachment? FindAttachment(ulong id) => _attachments.GetValueOrDefault(id);

    /// <summary>Everything to keep across a restart, with the bot's unfinished work.</summary>
    internal SandboxSnapshot Export(EmulatedBot bot)
    {
        var (pending, jobs) = bot.Pending();
        return new SandboxSnapshot(
            SandboxSnapshot.CurrentVersion,
            Convert.ToBase64String(Cdn.Key),
            Plan.Seed, Plan.PatternDraws, Plan.TrafficDraws,
            Ids.Next(),
            Bystanders,
            _accounts.Values.Select(a => new AccountSnapshot(a.Token, a.UserId, a.Username, a.Guilds.Keys.ToArray())).ToArray(),
            Commands.Export(),
            _channels.Values.Select(c => new ChannelSnapshot(c.Id, c.GuildId, c.History.Snapshot(), c.EphemeralMessages, c.SavedIds.Export())).ToArray(),
            Credits.Export(),
            Uploads.Export(),
            pending.Select(p => new PendingInteractionSnapshot(p.Interaction.Id, p.Interaction.Channel.Id, p.Interaction.User.Token,
                p.Interaction.Command.Name, p.Interaction.Strings, p.Interaction.Files, p.Interaction.Target?.Id, p.Interaction.AcceptedAt,
                p.Plan, p.Acknowledgement?.Id, p.Due)).ToArray(),
            jobs.Select(j => new PendingJobSnapshot(j.Interaction.Id, j.Interaction.Channel.Id, j.Interaction.User.Token, j.Interaction.Command.Name,
                j.Interaction.AcceptedAt, j.FirstMessageId, j.Job, j.Style, j.Due)).ToArray());
    }

    /// <summary>Puts back a saved state; returns the bot's unfinished work, to resume once the bot runs.</summary>
    internal (IReadOnlyList<PendingInteraction> Interactions, IReadOnlyList<PendingJob> Jobs) Restore(SandboxSnapshot snapshot)
    {
        Ids.NotBefore(snapshot.LastId);
        Cdn = new CdnLinks(_options.Clock, _options.AttachmentLinkLifetime, Convert.FromBase64String(snapshot.CdnKey));
        Plan.Skip(snapshot.PatternDraws, snapshot.TrafficDraws);
        Bystanders = snapshot.Bystanders;
        foreach (var saved in snapshot.Accounts)
        {
            var account = new SandboxAccount(saved.Token, saved.UserId, saved.Username);
            foreach (var guild in saved.Guilds) account.Guilds[guild] = true;
            _accounts[saved.Token] = account;
        }
        Commands.Restore(snapshot.Commands);
        foreach (var saved in snapshot.Channels)
        {
            var channel = new SandboxChannel(saved.Id, saved.GuildId, _options.MaxMessagesPerChannel);
            channel.History.Restore(saved.Messages);
            foreach (var message in saved.Ephemeral) channel.AddEphemeral(message);
            channel.SavedIds.Restore(saved.SavedIds);
            foreach (var attachment in saved.Messages.SelectMany(m => m.Attachments)) _attachments[attachment.Id] = attachment;
            _channels[saved.Id] = channel;
        }
        Credits.Restore(snapshot.Credits);
        Uploads.Restore(snapshot.Uploads);

        AcceptedInteraction? Interaction(ulong id, string channelId, string token, string command, DateTimeOffset acceptedAt,
            IReadOnlyDictionary<string, string> strings, IReadOnlyDictionary<string, Bot.InteractionFile> files, ulong? targetId) =>
            FindChannel(channelId) is { } channel && FindAccount(token) is { } user && Commands.FindByName(command) is { } definition
                ? new AcceptedInteraction(id, channel, user, definition, strings, files, targetId is ulong t ? channel.History.Find(t) : null, acceptedAt)
                : null;

        var interactions = snapshot.PendingInteractions
            .Select(p => Interaction(p.Id, p.ChannelId, p.UserToken, p.Command, p.AcceptedAt, p.Strings, p.Files, p.TargetId) is { } accepted
                ? new PendingInteraction(accepted, p.Plan, p.AcknowledgementId is ulong ack ? accepted.Channel.History.Find(ack) : null, p.Due)
                : null)
            .OfType<PendingInteraction>().ToArray();
        var jobs = snapshot.PendingJobs
            .Select(j => Interaction(j.InteractionId, j.ChannelId, j.UserToken, j.Command, j.AcceptedAt, new Dictionary<string, string>(),
                    new Dictionary<string, Bot.InteractionFile>(), null) is { } accepted
                ? new PendingJob(accepted, j.FirstMessageId, j.Job, j.Style, j.Due)
                : null)
            .OfType<PendingJob>().ToArray();
        return (interactions, jobs);
    }

    private StoredAttachment StoreAttachment(string channelId, string filename, byte[] bytes)
    {
        var (contentType, width, height) = MediaSniffer.Describe(bytes, filename);
        var attachment = new StoredAttachment(Ids.Next(), channelId, filename, contentType, bytes, width, height);
        _attachments[attachment.Id] = attachment;
        return attachment;
    }
}
