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
/// command as the operator's user, waits for the bot's reply through the channel's poller, and reports
/// what the bot said. Saves enough on the job before each interaction that a restarted server looks for
/// the reply instead of sending the command twice.
/// </summary>
public sealed class DiscordEngine(
    DiscordRestClient rest,
    CommandIndex commands,
    ChannelPollers pollers,
    InteractionPacer pacer,
    IOptionsMonitor<DiscordEngineOptions> options,
    ILogger<DiscordEngine> logger) : IEngine
{
    private readonly DiscordRestClient rest = rest;
    private readonly CommandIndex commands = commands;
    private readonly ChannelPollers pollers = pollers;
    private readonly InteractionPacer pacer = pacer;
    private readonly IOptionsMonitor<DiscordEngineOptions> options = options;
    private readonly ILogger<DiscordEngine> logger = logger;

    public string Name => EngineNames.Discord;

    public async Task RunAsync(IJobExecution execution, CancellationToken cancellationToken)
    {
        var job = execution.Job;
        var account = execution.Account;
        if (string.IsNullOrEmpty(account.DiscordToken) || string.IsNullOrEmpty(account.Server) || string.IsNullOrEmpty(account.Channel))
        {
            await execution.FailAsync("Discord account is incomplete",
                $"The account for channel {account.Channel} lacks a Discord token, server or channel. Update it with POST /account/{account.Channel}.",
                null, moderated: false, cancellationToken);
            return;
        }

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
        catch (DiscordCaptchaRequiredException)
        {
            var detail = $"Discord asks for a captcha for account {account.Channel}: log in to Discord with this account in a browser, solve it, then retry.";
            await execution.SetAccountHealthAsync(AccountHealth.Locked, detail, cancellationToken);
            await execution.FailAsync("Discord account needs a captcha", detail, null, moderated: false, cancellationToken);
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

        public async Task RunAsync(CancellationToken ct)
        {
            if (job.Verb == Verb.Swap && state.OneOffIdname is null)
            {
                state = state with { OneOffIdname = CommandPlan.NewOneOffIdname() };
            }
            var steps = CommandPlan.For(job, state.OneOffIdname);

            for (var index = state.Step; index < steps.Count; index++)
            {
                var step = steps[index];
                var resume = state.Step == index && state.Nonce is not null;
                if (!resume)
                {
                    state = state with { Step = index, Phase = StepPhase.Sent, Nonce = null, After = null, InteractionId = null, FirstReplyMessageId = null, TextTokens = [] };
                }

                if (step.Role == StepRole.Cleanup)
                {
                    await CleanUpAsync(step, resume, ct);
                    return;
                }

                var reply = await RunStepAsync(step, resume, ct);
                if (step.Role == StepRole.Setup)
                {
                    if (!IsTextSuccess(step, reply))
                    {
                        throw new JobFailure($"InsightFaceSwap refused /{step.Command}", reply.Content, ToUpstream(reply.Message));
                    }
                    state = state with { Step = index + 1, Nonce = null };
                    await execution.SaveEngineStateAsync(state.Serialize(), ct);
                    continue;
                }

                await FinishAsync(step, reply, ct);
                if (index + 1 < steps.Count)
                {
                    // The job is decided; what follows is cleanup on the bot's side.
                    state = state with { Step = index + 1, Nonce = null };
                }
            }
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
                await RunStepAsync(step, resume, ct);
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
            ReplyExpectation expectation;
            ReplyWait wait;
            IDisposable registration;

            if (resume)
            {
                expectation = new ReplyExpectation
                {
                    Nonce = state.Nonce!,
                    CommandName = step.Command,
                    InteractionId = state.InteractionId,
                    FirstReplyMessageId = state.FirstReplyMessageId,
                    TextTokens = [.. step.TextTokens ?? [], .. state.TextTokens],
                };
                wait = new ReplyWait(expectation, state.After ?? "0", () => execution.ClientWaiting)
                {
                    AwaitingFirstReply = state.Phase == StepPhase.Sent,
                };
                registration = poller.Add(token, wait);
                engine.logger.LogInformation("Job {Job}: resuming /{Command} from saved state, looking for the reply after {After}",
                    job.Id, step.Command, state.After);
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
                var after = await engine.pollers.LatestMessageIdAsync(token, channelId, ct);
                var nonce = Snowflake.NewNonce();
                expectation = new ReplyExpectation { Nonce = nonce, CommandName = step.Command, TextTokens = [.. step.TextTokens ?? []] };

                state = state with { Phase = StepPhase.Sent, Nonce = nonce, After = after };
                var sentState = state.Serialize();

                wait = new ReplyWait(expectation, after, () => execution.ClientWaiting);
                registration = poller.Add(token, wait);
                try
                {
                    // Saved at the last moment before sending (after the pacing wait): from there on a
                    // restart must look for the reply, never resend; before it, a restart simply sends.
                    await SendAsync(command, step, uploads, nonce, () => execution.SaveEngineStateAsync(sentState, ct), ct);
                }
                catch
                {
                    registration.Dispose();
                    throw;
                }
                if (!started && step.Role != StepRole.Cleanup)
                {
                    started = true;
                    await execution.ReportAsync(JobStatus.Started, new UpstreamMessage(), ct);
                }
            }

            using (registration)
            {
                return await AwaitReplyAsync(step, wait, ct);
            }
        }

        private async Task SendAsync(ApplicationCommand command, CommandStep step, IReadOnlyList<UploadedAttachment> uploads, string nonce,
            Func<Task> markSent, CancellationToken ct)
        {
            for (var attempt = 0; ; attempt++)
            {
                var payload = InteractionPayload.Build(command, step, uploads, guildId, channelId, Settings.SessionId, nonce);
                using (await engine.pacer.AcquireAsync(token, ct))
                {
                    if (attempt == 0) await markSent();
                    try
                    {
                        await engine.rest.SendInteractionAsync(token, payload, ct);
                        return;
                    }
                    catch (DiscordApiException ex) when (attempt == 0 && ex.Status is HttpStatusCode.BadRequest or HttpStatusCode.NotFound
                        && ex is not DiscordCaptchaRequiredException)
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

        private async Task<InsightFaceSwapReply> AwaitReplyAsync(CommandStep step, ReplyWait wait, CancellationToken ct)
        {
            var replyDeadline = DateTimeOffset.UtcNow + Settings.ReplyTimeout;
            DateTimeOffset? resultDeadline = wait.AwaitingFirstReply ? null : DateTimeOffset.UtcNow + Settings.AsyncResultTimeout;
            while (true)
            {
                var deadline = resultDeadline ?? replyDeadline;
                var left = deadline - DateTimeOffset.UtcNow;
                var message = left > TimeSpan.Zero ? await wait.NextAsync(left, ct) : null;
                if (message is null)
                {
                    throw resultDeadline is null
                        ? new JobFailure("The application did not respond",
                            $"InsightFaceSwap did not reply to /{step.Command} within {Settings.ReplyTimeout}. " +
                            "The bot may be overloaded or the command was not delivered; try again later.")
                        : new JobFailure("InsightFaceSwap result timed out",
                            $"InsightFaceSwap accepted /{step.Command} but delivered no result within {Settings.AsyncResultTimeout}.",
                            job.Upstream.MessageId is null ? null : job.Upstream);
                }

                var reply = InsightFaceSwapReply.Read(message);
                if (reply.CreditsRemaining is { } remaining && reply.CreditsTotal is { } total)
                {
                    await execution.SetCreditsAsync(new Credits(DateTimeOffset.UtcNow, total, Math.Max(0, total - remaining)), ct);
                }

                switch (reply.Kind)
                {
                    case ReplyKind.Loading:
                        continue; // the bot is thinking; its edit will come round again
                    case ReplyKind.JobSubmitted when resultDeadline is not null:
                        continue; // the first reply seen again while resuming
                    case ReplyKind.JobSubmitted:
                        wait.AwaitingFirstReply = false;
                        resultDeadline = DateTimeOffset.UtcNow + Settings.AsyncResultTimeout;
                        state = state with
                        {
                            Phase = StepPhase.AwaitingResult,
                            InteractionId = wait.Expectation.InteractionId,
                            FirstReplyMessageId = wait.Expectation.FirstReplyMessageId,
                            TextTokens = [.. wait.Expectation.TextTokens],
                        };
                        await execution.SaveEngineStateAsync(state.Serialize(), ct);
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
                    case ReplyKind.DidNotRespond:
                        throw new JobFailure("The application did not respond",
                            $"InsightFaceSwap did not respond to /{step.Command} (the bot is overloaded); try again later.",
                            ToUpstream(message));
                    default:
                        return reply;
                }
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
