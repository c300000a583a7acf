using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace FaceSwap.Discord.Protocol;

public enum ReplyKind
{
    /// <summary>A deferred reply ("… is thinking"): the bot will edit it later.</summary>
    Loading,
    /// <summary>An async command was accepted: "Picsi.Ai … Job Submitted [jobid: …]"; the result follows later.</summary>
    JobSubmitted,
    /// <summary>The message carries the result file(s).</summary>
    Result,
    Moderated,
    CreditsExhausted,
    /// <summary>
    /// An acknowledgement ("… is being processed", "command sent"): the answer follows as a follow-up
    /// message or an edit of this one.
    /// </summary>
    Interim,
    /// <summary>Any other text: a success for text commands, an explanation of a refusal otherwise.</summary>
    Text,
}

/// <summary>One message of the InsightFaceSwap bot, read for what the engine needs to decide.</summary>
public sealed partial record InsightFaceSwapReply(
    DiscordMessage Message,
    ReplyKind Kind,
    string? JobId,
    int? CreditsRemaining,
    int? CreditsTotal)
{
    public string Content => Message.Content ?? "";

    public static InsightFaceSwapReply Read(DiscordMessage message)
    {
        var text = TextOf(message);
        var jobId = JobIdPattern().Match(text) is { Success: true } j ? j.Groups[1].Value : null;
        int? remaining = null, total = null;
        if (CreditsRemainingPattern().Match(text) is { Success: true } c)
        {
            remaining = int.Parse(c.Groups[1].Value, CultureInfo.InvariantCulture);
            total = int.Parse(c.Groups[2].Value, CultureInfo.InvariantCulture);
        }

        var kind = Classify(message, text);
        return new InsightFaceSwapReply(message, kind, jobId, remaining, total);
    }

    private static ReplyKind Classify(DiscordMessage message, string text)
    {
        if (message.IsLoading && message.Attachments.Count == 0 && string.IsNullOrWhiteSpace(message.Content))
        {
            return ReplyKind.Loading;
        }
        if (message.Attachments.Count == 0 && JobSubmittedPattern().IsMatch(text))
        {
            return ReplyKind.JobSubmitted;
        }
        // The bot echoes user text (idnames, prompts); an idname "moderated" must not read as moderation.
        var botWords = EchoPattern().Replace(text, " ");
        if (ModeratedPattern().IsMatch(botWords))
        {
            return ReplyKind.Moderated;
        }
        if (message.Attachments.Count > 0)
        {
            return ReplyKind.Result;
        }
        if (CreditsExhaustedPattern().IsMatch(botWords))
        {
            return ReplyKind.CreditsExhausted;
        }
        if (InterimPattern().IsMatch(botWords))
        {
            return ReplyKind.Interim;
        }
        return ReplyKind.Text;
    }

    /// <summary>
    /// The default id(s) a /listid answer names: the text inside the backticks, "" for "none", null when
    /// the answer does not say.
    /// </summary>
    public static string? DefaultIds(string content) =>
        DefaultIdsPattern().Match(content) is { Success: true } m ? (m.Groups[1].Success ? m.Groups[1].Value.Trim() : "") : null;

    /// <summary>The content plus embed titles and descriptions: the bot may explain a refusal in an embed.</summary>
    private static string TextOf(DiscordMessage message)
    {
        var text = new StringBuilder(message.Content ?? "");
        if (message.Embeds is { ValueKind: JsonValueKind.Array } embeds)
        {
            foreach (var embed in embeds.EnumerateArray())
            {
                foreach (var field in new[] { "title", "description" })
                {
                    if (embed.ValueKind == JsonValueKind.Object && embed.TryGetProperty(field, out var value) &&
                        value.ValueKind == JsonValueKind.String)
                    {
                        text.Append('\n').Append(value.GetString());
                    }
                }
            }
        }
        return text.ToString();
    }

    /// <summary>
    /// The prompt the bot echoes in a headshot/changebg answer (<c>[prompt: '…']</c>, as the vendor's jobid page
    /// shows it); null when the message echoes none.
    /// </summary>
    public static string? EchoedPrompt(string content) =>
        PromptEchoPattern().Match(content) is { Success: true } m ? m.Groups[1].Value : null;

    [GeneratedRegex(@"\[prompt:\s*'(.*?)'\]", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex PromptEchoPattern();

    [GeneratedRegex(@"default\s+ID\(?s?\)?:?\s*(?:`([^`]*)`|none\b)", RegexOptions.IgnoreCase)]
    private static partial Regex DefaultIdsPattern();

    [GeneratedRegex(@"\[jobid:\s*([0-9a-fA-F]{8,64})\s*\]", RegexOptions.IgnoreCase)]
    private static partial Regex JobIdPattern();

    [GeneratedRegex(@"\((\d+)\s*/\s*(\d+)\s+credits?\s+remaining\)", RegexOptions.IgnoreCase)]
    private static partial Regex CreditsRemainingPattern();

    [GeneratedRegex(@"Job\s+Submitted", RegexOptions.IgnoreCase)]
    private static partial Regex JobSubmittedPattern();

    [GeneratedRegex(@"\b(being processed|processing your|in progress|please wait|command (was )?(sent|received))\b", RegexOptions.IgnoreCase)]
    private static partial Regex InterimPattern();

    [GeneratedRegex(@"\bmoderat(ed|ion)\b|content policy", RegexOptions.IgnoreCase)]
    private static partial Regex ModeratedPattern();

    /// <summary>Places where the bot quotes what the user typed: <c>[SaveID: '…']</c>, <c>[prompt: '…']</c>, <c>idname X …</c>, <c>`…`</c>.</summary>
    [GeneratedRegex(@"\[(SaveID|prompt):\s*'[^\]]*'\]|\bidname\s+\S+|`[^`]*`", RegexOptions.IgnoreCase)]
    private static partial Regex EchoPattern();


    [GeneratedRegex(@"(daily|credits?)\b.{0,60}\b(limit|exhausted|reached|used up|run out|ran out)|out of credits|no (more )?credits|not enough credits|insufficient credits", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex CreditsExhaustedPattern();
}
