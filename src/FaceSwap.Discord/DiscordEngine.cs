using System.Net;
using FaceSwap.Core.Accounts;
using FaceSwap.Core.Engines;
using FaceSwap.Core.Jobs;
using FaceSwap.Discord.Protocol;
using FaceSwap.Discord.Polling;
using FaceSwap.Discord.Rest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceSwap.Discord;

/// <summary>
/// Runs jobs on the InsightFaceSwap bot in the account's Discord channel: uploads the inputs, sends the
/// command as the operator's user, waits for the bot's answer through the channel's poller, and reports
/// what the bot said. Saves enough on the job before each interaction that a restarted server looks for
/// the reply (from the moment it was sent) instead of sending the command twice.
/// </summary>
public sealed class DiscordEngine(
    DiscordRestClient rest,
    CommandIndex commands,
    ChannelPollers pollers,
    InteractionPacer pacer,
    DiscordUsers users,
    DiscordMetrics metrics,
    TimeProvider time,
    IOptionsMonitor<DiscordEngineOptions> options,
    ILogger<DiscordEngine> logger) : IEngine
{
    /// <summary>The error of a job whose interaction got no visible answer in time.</summary>
    public const string NoAnswerError = "InsightFaceSwap did not answer; the command may have been refused privately";

    private readonly DiscordRestClient rest = rest;
    private readonly CommandIndex commands = commands;
    private readonly ChannelPollers pollers = pollers;
    private readonly InteractionPacer pacer = pacer;
    private readonly DiscordUsers users = users;
    private readonly DiscordMetrics metrics = metrics;
    private readonly TimeProvider time = time;
    private readonly IOptionsMonitor<DiscordEngineOptions> options = options;
    private readonly ILogger<DiscordEngine> logger = logger;

    public string Name => EngineNames.Discord;

    public async Task RunAsync(IJobExecution execution, CancellationToken cancellationToken)
    {
        var account = execution.Account;
        if (string.IsNullOrEmpty(account.DiscordToken) || string.IsNullOrEmpty(account.Server) || string.IsNullOrEmpty(account.Channel))
        {
            await execution.FailAsync("Discord account is incomplete",
                $"The account for channel {account.Channel} lacks a Discord token, server or channel. Update it with POST /account/{account.Channel}.",
                null, moderated: false, cancellationToken);
            return;
        }

        using var tally = metrics.BeginJob(execution.Job.Verb.ToString().ToLowerInvariant());
        try
        {
            await new JobRun(this, execution).RunAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (JobFailure failure)
        {
            await execution.FailAsync(failure.Error, failure.Details, failure.Upstream, failure.Moderated, cancellationToken);
        }
        catch (DiscordUnauthorizedException)
        {
            var detail = $"Discord answered 401 Unauthorized for the token of account {account.Channel} " +
                $"({MaskToken(account.DiscordToken)}). Update the account with POST /account/{account.Channel} and a fresh token.";
            await execution.SetAccountHealthAsync(AccountHealth.TokenInvalid, detail, cancellationToken);
            await execution.FailAsync("Discord token is invalid", detail, null, moderated: false, cancellationToken);
        }
        catch (DiscordAccountBlockedException ex)
        {
            var detail = $"{ex.Reason}. Account {account.Channel} is skipped until a job on it succeeds or it is updated with POST /account/{account.Channel}.";
            await execution.SetAccountHealthAsync(ex.AccountLocked ? AccountHealth.Locked : AccountHealth.Forbidden, detail, cancellationToken);
            await execution.FailAsync(ex.AccountLocked ? "Discord account is locked" : "Discord forbids this account in the channel",
                detail, null, moderated: false, cancellationToken);
        }
        catch (DiscordRateLimitedException ex)
        {
            await execution.FailAsync("Discord rate limit",
                $"Discord kept rate limiting this account (last retry_after {ex.RetryAfter.TotalSeconds:0.###} s); try again later.",
                null, moderated: false, cancellationToken);
        }
        catch (CommandNotFoundException ex)
        {
            await execution.FailAsync("InsightFaceSwap command not available",
                $"{ex.Message}. Invite the InsightFaceSwap bot to server {account.Server} and check the channel.",
                null, moderated: false, cancellationToken);
        }
        catch (DiscordApiException ex)
        {
            await execution.FailAsync("Discord request failed",
                $"Discord answered {(int)ex.Status} {ex.Status}: {ex.DiscordMessage}" + (ex.Code is { } code ? $" (code {code})" : ""),
                null, moderated: false, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            await execution.FailAsync("Discord is unreachable", ex.Message, null, moderated: false, cancellationToken);
        }
    }

    /// <summary>
    /// Checks a user token with <c>GET /users/@me</c> (for the server's account endpoints): the Discord
    /// user on success; throws <see cref="DiscordUnauthorizedException"/> for a dead token.
    /// </summary>
    public Task<DiscordUser> VerifyTokenAsync(string token, CancellationToken cancellationToken) =>
        rest.GetCurrentUserAsync(token, cancellationToken);

    /// <summary>First 3 + "…secured…" + last 3: enough for an operator to tell tokens apart, useless to anyone else.</summary>
    public static string MaskToken(string? token) =>
        string.IsNullOrEmpty(token) ? "" : token.Length <= 8 ? "…secured…" : $"{token[..3]}…secured…{token[^3..]}";

    internal static UpstreamMessage ToUpstream(DiscordMessage message) =>
        new(message.Id, message.Content, message.Timestamp, message.EmbedsJson);

    /// <summary>A decided failure of the job, raised inside a run and reported once by RunAsync.</summary>
    private sealed class JobFailure(string error, string? details, UpstreamMessage? upstream = null, bool moderated = false)
        : Exception(error)
    {
        public string Error { get; } = error;
        public string? Details { get; } = details;
        public UpstreamMessage? Upstream { get; } = upstream;
        public bool Moderated { get; } = moderated;
    }

    /// <summary>One run of one job: walks its command steps from where the saved state left off.</summary>
    private sealed class JobRun(DiscordEngine engine, IJobExecution execution)
    {
        private readonly Job job = execution.Job;
        private readonly string token = execution.Account.DiscordToken!;
        private readonly string guildId = execution.Account.Server!;
        private readonly string channelId = execution.Account.Channel;
        private DiscordJobState state = DiscordJobState.Parse(execution.Job.EngineState) ?? new DiscordJobState();
        private bool started = execution.Job.Status is not JobStatus.Created;

        private DiscordEngineOptions Settings => engine.options.CurrentValue;
        private TimeProvider Time => engine.time;

        public async Task RunAsync(CancellationToken ct)
        {
            if (job.Verb == Verb.Swap && state.OneOffIdname is null)
            {
                state = state with { OneOffIdname = CommandPlan.NewOneOffIdname() };
            }

            // A swap decides the job at swapid but reports it only after its cleanup (delid, setid), so the
            // channel is as it was when the client hears the answer; a refusal at swapid cleans up too.
            CommandStep? mainStep = null;
            InsightFaceSwapReply? decided = null;
            JobFailure? failure = null;
            while (true)
            {
                // Planned again at each step: swap's last step depends on what its first one read.
                var steps = CommandPlan.For(job, state.OneOffIdname, state.PreviousDefaults);
                var index = state.Step;
                if (index >= steps.Count)
                {
                    break;
                }
                var step = steps[index];
                var resume = state.Nonce is not null;
                if (!resume)
                {
                    state = state with { Phase = StepPhase.Sent, SentAt = null, After = null, FirstReplyMessageId = null, TextTokens = [] };
                }

                if (step.Role == StepRole.Cleanup)
                {
                    await CleanUpAsync(step, resume, ct);
                    state = state with { Step = index + 1, Nonce = null };
                    await execution.SaveEngineStateAsync(state.Serialize(), ct);
                    continue;
                }

                if (step.Role == StepRole.Main)
                {
                    mainStep = step;
                    var cleanupFollows = index + 1 < steps.Count;
                    try
                    {
                        decided = await RunStepAsync(step, resume, ct);
                    }
                    catch (JobFailure refused) when (cleanupFollows)
                    {
                        failure = refused;
                    }
                    if (!cleanupFollows)
                    {
                        break;
                    }
                    state = state with { Step = index + 1, Nonce = null, DecidingMessageId = decided?.Message.Id ?? failure?.Upstream?.MessageId };
                    await execution.SaveEngineStateAsync(state.Serialize(), ct);
                    continue;
                }

                var reply = await RunStepAsync(step, resume, ct);
                if (step.Command == "listid")
                {
                    var defaults = InsightFaceSwapReply.DefaultIds(reply.Content);
                    if (defaults is null)
                    {
                        engine.logger.LogWarning("Job {Job}: /listid did not name the default ids; the swap cannot put them back", job.Id);
                    }
                    state = state with { PreviousDefaults = defaults ?? "" };
                }
                else if (!IsTextSuccess(step, reply))
                {
                    throw new JobFailure($"InsightFaceSwap refused /{step.Command}", reply.Content, ToUpstream(reply.Message));
                }
                state = state with { Step = index + 1, Nonce = null };
                await execution.SaveEngineStateAsync(state.Serialize(), ct);
            }

            if (failure is not null)
            {
                throw failure;
            }
            mainStep ??= CommandPlan.For(job, state.OneOffIdname, state.PreviousDefaults).First(s => s.Role == StepRole.Main);
            decided ??= await DecidingReplyAfterRestartAsync(mainStep, ct);
            await FinishAsync(mainStep, decided, ct);
        }

        /// <summary>The process stopped during a swap's cleanup: read the message that decided it again.</summary>
        private async Task<InsightFaceSwapReply> DecidingReplyAfterRestartAsync(CommandStep step, CancellationToken ct)
        {
            var message = state.DecidingMessageId is { } id
                ? await engine.rest.GetMessageAsync(token, channelId, id, RequestPurpose.Reread, ct)
                : null;
            return message is not null
                ? InsightFaceSwapReply.Read(message)
                : throw new JobFailure($"InsightFaceSwap returned no result for /{step.Command}",
                    "The server restarted while the swap was cleaning up, and the bot's answer can no longer be read.");
        }

        private async Task FinishAsync(CommandStep step, InsightFaceSwapReply reply, CancellationToken ct)
        {
            var upstream = ToUpstream(reply.Message);
            if (step.ExpectsFiles)
            {
                if (reply.Kind != ReplyKind.Result)
                {
                    throw new JobFailure($"InsightFaceSwap returned no result for /{step.Command}", reply.Content, upstream);
                }
                var files = new List<ResultFile>();
                foreach (var attachment in reply.Message.Attachments)
                {
                    files.Add(await DownloadAsync(attachment, ct));
                }
                await execution.CompleteAsync(upstream, files, ct);
                return;
            }

            if (!IsTextSuccess(step, reply))
            {
                throw new JobFailure($"InsightFaceSwap refused /{step.Command}", reply.Content, upstream);
            }
            await execution.CompleteAsync(upstream, [], ct);
        }

        /// <summary>The bot answers text commands with fixed phrases; anything else explains a refusal.</summary>
        private static bool IsTextSuccess(CommandStep step, InsightFaceSwapReply reply)
        {
            var content = reply.Content;
            return step.Command switch
            {
                "saveid" => content.Contains(" created", StringComparison.OrdinalIgnoreCase) || content.Contains(" updated", StringComparison.OrdinalIgnoreCase),
                "setid" => content.Contains("set to", StringComparison.OrdinalIgnoreCase),
                "delid" or "delall" => content.Contains("deleted", StringComparison.OrdinalIgnoreCase),
                _ => reply.Kind is ReplyKind.Text or ReplyKind.Result,
            };
        }

        private async Task CleanUpAsync(CommandStep step, bool resume, CancellationToken ct)
        {
            try
            {
                var reply = await RunStepAsync(step, resume, ct);
                if (!IsTextSuccess(step, reply))
                {
                    engine.logger.LogWarning("Cleanup /{Command} of job {Job} was refused: {Reply}", step.Command, job.Id, reply.Content);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                engine.logger.LogWarning("Cleanup /{Command} of job {Job} failed: {Error}", step.Command, job.Id, ex.Message);
            }
        }

        /// <summary>Sends the step's interaction (unless resuming) and waits for its decisive reply.</summary>
        private async Task<InsightFaceSwapReply> RunStepAsync(CommandStep step, bool resume, CancellationToken ct)
        {
            var poller = engine.pollers.For(channelId);
            var userId = await engine.users.IdOfAsync(token, ct);
            IDisposable? turn = null;
            string sentAfter;

            try
            {
                if (resume)
                {
                    sentAfter = state.SentAt is not null ? SentAfter() : state.After ?? Snowflake.FromTime(Time.GetUtcNow() - Settings.ReplyTimeout);
                    if (state.FirstReplyMessageId is null)
                    {
                        // Still waiting for its first answer: it holds the channel's turn, as when it was sent.
                        turn = await poller.AcquireTurnAsync(ct);
                    }
                    engine.logger.LogInformation("Job {Job}: resuming /{Command}, reading the channel from {After}", job.Id, step.Command, sentAfter);
                }
                else
                {
                    var uploads = new List<UploadedAttachment>();
                    foreach (var option in step.Options.Where(o => o.IsAttachment))
                    {
                        var input = await execution.ReadInputAsync(option.InputFile!, ct);
                        uploads.Add(await engine.rest.UploadAttachmentAsync(token, channelId, input.FileName, input.ContentType, input.Content, ct));
                    }
                    var command = await engine.commands.FindAsync(token, guildId, step.Command, ct);

                    // One interaction of the channel at a time waits for its first reply: then the first
                    // reply of our user to this command after we sent it is ours.
                    turn = await poller.AcquireTurnAsync(ct);
                    // This process's poller knows only the answers it handed out itself: after a restart, or on a
                    // node that just took the channel over, the answers other jobs recorded must not be taken again.
                    var recorded = await execution.NewestRecordedMessageIdAsync(ct);
                    await SendAsync(command, step, uploads, Snowflake.Max(poller.ClaimedUpTo, recorded ?? "0"), ct);
                    sentAfter = SentAfter();
                    if (!started && !step.MayRunAsync)
                    {
                        started = true;
                        await execution.ReportAsync(JobStatus.Started, new UpstreamMessage(), ct);
                    }
                }

                var expectation = new ReplyExpectation
                {
                    UserId = userId,
                    CommandName = step.Command,
                    IsMessageCommand = step.IsMessageCommand,
                    TargetMessageId = step.TargetMessageId,
                    Prompt = step.Options.FirstOrDefault(o => o.Name == "prompt")?.Value,
                    SentAfter = sentAfter,
                    FirstReplyMessageId = state.FirstReplyMessageId,
                    TextTokens = [.. step.TextTokens ?? [], .. state.TextTokens],
                };
                var wait = new ReplyWait(expectation, () => execution.ClientWaiting)
                {
                    AwaitingFirstReply = state.FirstReplyMessageId is null,
                    AnswerDue = state.Phase != StepPhase.AwaitingResult,
                };
                if (state.FirstReplyMessageId is { } first)
                {
                    wait.Watch(first); // it may have been edited while nobody watched
                }
                using (poller.Add(token, wait))
                {
                    return await AwaitReplyAsync(step, wait, turn, ct);
                }
            }
            finally
            {
                turn?.Dispose();
            }
        }

        /// <summary>
        /// The snowflake every answer to the sent interaction follows: its send time less the clock-skew
        /// margin, and never before an answer already given to an earlier command (by this process, or
        /// recorded by any job of the channel).
        /// </summary>
        private string SentAfter() =>
            Snowflake.Max(Snowflake.FromTime(state.SentAt!.Value - Settings.ClockSkewMargin), state.After ?? "0");

        /// <summary>
        /// Posts the interaction. The state saved just before (after the pacing wait) says "sent": from
        /// there on a restart must look for the reply, never resend; before it, a restart simply sends.
        /// </summary>
        private async Task SendAsync(ApplicationCommand command, CommandStep step, IReadOnlyList<UploadedAttachment> uploads,
            string claimedUpTo, CancellationToken ct)
        {
            for (var attempt = 0; ; attempt++)
            {
                using (await engine.pacer.AcquireAsync(token, ct))
                {
                    var now = Time.GetUtcNow();
                    var nonce = Snowflake.NewNonce(now);
                    if (attempt == 0)
                    {
                        state = state with { Phase = StepPhase.Sent, Nonce = nonce, SentAt = now, After = claimedUpTo };
                        await execution.SaveEngineStateAsync(state.Serialize(), ct);
                    }
                    else
                    {
                        state = state with { SentAt = now };
                    }
                    var payload = InteractionPayload.Build(command, step, uploads, guildId, channelId, Settings.SessionId, nonce);
                    try
                    {
                        await engine.rest.SendInteractionAsync(token, payload, ct);
                        return;
                    }
                    catch (DiscordApiException ex) when (attempt == 0 && ex.Status is HttpStatusCode.BadRequest or HttpStatusCode.NotFound
                        && ex is not DiscordAccountBlockedException)
                    {
                        // Most likely the bot re-registered its commands and our id/version is stale:
                        // read the index again, and resend only if it changed (Discord did not run it).
                        engine.commands.Invalidate(guildId);
                        var fresh = await engine.commands.FindAsync(token, guildId, step.Command, ct);
                        if (fresh.Id == command.Id && fresh.Version == command.Version)
                        {
                            throw;
                        }
                        engine.logger.LogInformation("Command /{Command} changed version; resending", step.Command);
                        command = fresh;
                    }
                }
            }
        }

        /// <summary>
        /// Follows the bot's answer to one interaction through every shape Discord gives it: an immediate
        /// reply; a LOADING reply edited later; an interim text and a follow-up; "Job Submitted" and a later
        /// result (a new message or an edit). No visible first answer within FirstReplyTimeout ends the job.
        /// </summary>
        private async Task<InsightFaceSwapReply> AwaitReplyAsync(CommandStep step, ReplyWait wait, IDisposable? turn, CancellationToken ct)
        {
            var sentAt = state.SentAt ?? Snowflake.ToTime(wait.Expectation.SentAfter);
            var firstDeadline = sentAt + Settings.FirstReplyTimeout;
            var answerDeadline = sentAt + Settings.ReplyTimeout;
            DateTimeOffset? resultDeadline = state.Phase == StepPhase.AwaitingResult ? Time.GetUtcNow() + Settings.AsyncResultTimeout : null;
            DateTimeOffset? readPast = null; // the deadline after which the channel was read once more
            while (true)
            {
                var deadline = resultDeadline ?? (wait.AwaitingFirstReply ? firstDeadline : answerDeadline);
                var message = await wait.NextAsync(deadline, Time, ct);
                if (message is null)
                {
                    if (readPast != deadline)
                    {
                        // Read the channel once more before giving up: the answer may have come after the last read
                        // (or a resumed wait may be past its deadline before any read).
                        readPast = deadline;
                        await wait.ReadAgainAsync(ct);
                        continue;
                    }
                    throw NoAnswer(step, wait, resultDeadline is not null);
                }

                turn?.Dispose(); // a first answer is visible: the channel's next interaction may go
                var reply = InsightFaceSwapReply.Read(message);
                if (reply.CreditsRemaining is { } remaining && reply.CreditsTotal is { } total)
                {
                    await execution.SetCreditsAsync(new Credits(Time.GetUtcNow(), total, Math.Max(0, total - remaining)), ct);
                }

                switch (reply.Kind)
                {
                    case ReplyKind.Loading:
                    case ReplyKind.Interim:
                        // Deferred or acknowledged: the answer comes as an edit of this message (read
                        // again by id) or as a follow-up that points back at it.
                        wait.Watch(message.Id);
                        await RememberAsync(wait, resultDeadline is null ? StepPhase.Answering : StepPhase.AwaitingResult, ct);
                        continue;
                    case ReplyKind.JobSubmitted when resultDeadline is not null:
                        wait.Watch(message.Id); // seen again while resuming: it may still become the result
                        continue;
                    case ReplyKind.JobSubmitted:
                        wait.WatchOnly(message.Id); // the bot may edit it into the result
                        wait.AnswerDue = false;
                        resultDeadline = Time.GetUtcNow() + Settings.AsyncResultTimeout;
                        await RememberAsync(wait, StepPhase.AwaitingResult, ct);
                        if (step.Role == StepRole.Main)
                        {
                            await execution.ReportAsync(started ? JobStatus.Progress : JobStatus.Started, ToUpstream(message), ct);
                            started = true;
                        }
                        continue;
                    case ReplyKind.Moderated:
                        throw new JobFailure("Moderated by InsightFaceSwap", reply.Content, ToUpstream(message), moderated: true);
                    case ReplyKind.CreditsExhausted:
                        await execution.SetAccountHealthAsync(AccountHealth.CreditsExhausted, reply.Content, ct);
                        throw new JobFailure("InsightFaceSwap daily credits exhausted",
                            $"The bot says: {reply.Content}. The account's credits renew daily; use another account meanwhile.",
                            ToUpstream(message));
                    default:
                        return reply;
                }
            }
        }

        private JobFailure NoAnswer(CommandStep step, ReplyWait wait, bool awaitingResult)
        {
            if (awaitingResult)
            {
                return new JobFailure("InsightFaceSwap result timed out",
                    $"InsightFaceSwap accepted /{step.Command} but delivered no result within {Settings.AsyncResultTimeout}.",
                    job.Upstream.MessageId is null ? null : job.Upstream);
            }
            if (wait.AwaitingFirstReply)
            {
                return new JobFailure(NoAnswerError,
                    $"No answer to /{step.Command} appeared in channel {channelId} within {Settings.FirstReplyTimeout.TotalSeconds:0} s of sending it. " +
                    "Discord shows a private (ephemeral) refusal, and \"The application did not respond\", only to the user's own client; " +
                    "open the channel as that user to see why, or try again later.");
            }
            return new JobFailure("InsightFaceSwap did not finish",
                $"InsightFaceSwap acknowledged /{step.Command} but gave no final answer within {Settings.ReplyTimeout} of sending it.");
        }

        /// <summary>Saves what the first reply taught, so a restarted server follows the same messages.</summary>
        private async Task RememberAsync(ReplyWait wait, StepPhase phase, CancellationToken ct)
        {
            var learned = state with
            {
                Phase = phase,
                FirstReplyMessageId = wait.Expectation.FirstReplyMessageId,
                TextTokens = [.. wait.Expectation.TextTokens],
            };
            if (learned.Phase != state.Phase || learned.FirstReplyMessageId != state.FirstReplyMessageId || !learned.TextTokens.SequenceEqual(state.TextTokens))
            {
                state = learned;
                await execution.SaveEngineStateAsync(state.Serialize(), ct);
            }
        }

        private async Task<ResultFile> DownloadAsync(DiscordAttachment attachment, CancellationToken ct)
        {
            var url = attachment.Url ?? attachment.ProxyUrl
                ?? throw new JobFailure("InsightFaceSwap result has no URL", $"Attachment {attachment.Id} carries no url.");
            var (content, contentType) = await engine.rest.DownloadAsync(url, ct);
            return new ResultFile(
                attachment.Filename ?? $"{attachment.Id}",
                attachment.ContentType ?? contentType ?? "application/octet-stream",
                content,
                attachment.Width,
                attachment.Height,
                attachment.Id);
        }
    }
}
