namespace FaceSwap.Sandbox.Bot;

/// <summary>
/// Every text the emulated bot writes, in one place so docs/sandbox.md and the tests can quote them. The ones
/// known from the real bot (idname … created, [SaveID: '…'], Picsi.Ai … Job Submitted [jobid: …]) keep its wording;
/// the rest are the sandbox's own, documented.
/// </summary>
public static class BotTexts
{
    public static string Mention(string userId) => $"<@{userId}>";

    public static string IdCreated(string name) => $"idname {name} created";
    public static string IdUpdated(string name) => $"idname {name} updated";
    public static string IdDeleted(string name) => $"idname {name} deleted";
    public const string AllIdsDeleted = "All idnames deleted";
    public static string IdNotFound(string name) => $"idname {name} not found";

    public static string InvalidIdName(string name) =>
        $"Invalid idname '{name}': an idname can only contain letters and numbers and cannot exceed 10 characters.";

    public static readonly string IdLimitReached =
        $"You already have {SavedFaceIds.MaxIds} saved idnames, the maximum. Delete some with /delid or /delall first.";

    public const string NoFace = "No face detected in the image. Please use a clear, front-view photo of a face.";
    public const string NotAnImage = "The attachment is not an image.";

    public static string ImageTooLarge(long maxPixels) =>
        $"The image is too large: at most {maxPixels:N0} pixels, please send a smaller one.";

    public static string DefaultsSet(string names) => $"Current default ID(s) set to `{names}`";
    public static string PreferSet(string option) => $"Prefer option set to `{option}`";
    public const string IdsAndOptionsTogether = "ID names and prefer options cannot be set in the same command.";
    public static string InvalidIdList(string value) =>
        $"Invalid idname list '{value}': separate names with commas and no spaces, e.g. me,_,him or father+mother.";

    public static string IdList(IReadOnlyList<string> names, IReadOnlyList<string> defaults, string prefer) =>
        $"Saved idnames ({names.Count}/{SavedFaceIds.MaxIds}): {Listing(names)}\n" +
        $"Current default ID(s): {(defaults.Count == 0 ? "none" : $"`{string.Join(",", defaults)}`")}\n" +
        $"Prefer option: {prefer}";

    public const string NoDefaultId = "No default ID set. Save one with /saveid or choose one with /setid.";
    public const string TargetHasNoImage = "The target message has no image attachment.";

    public static string SwapResult(string userId, string idnames, int left, int total) =>
        $"{Mention(userId)} [SaveID: '{idnames}'] ({left}/{total} credits remaining)";

    public static string PicsiResult(string userId, int left, int total) =>
        $"{Mention(userId)} [Picsi.Ai] ({left}/{total} credits remaining)";

    /// <summary>The first reply of an asynchronous job. Two spaces after the mention, as in the real bot's text.</summary>
    public static string JobSubmitted(string userId, string kind, string jobId, int credits, string? prompt, int left, int total) =>
        $"{Mention(userId)}  Picsi.Ai {kind} Job Submitted [jobid: {jobId}] [credits: {credits}]" +
        (prompt is null ? "" : $" [prompt: '{prompt}']") +
        $" ({left}/{total} credits remaining)";

    public static string JobCompleted(string userId, string kind, string jobId) =>
        $"{Mention(userId)} Picsi.Ai {kind} Job Completed [jobid: {jobId}]";

    public static string CreditsExhausted(string userId, int cost, int left, int total) =>
        $"{Mention(userId)} Daily credit limit reached: this command needs {cost} credits and you have {left} of {total} left today. Credits renew at 00:00 UTC.";

    public static string Moderated(string userId) =>
        $"{Mention(userId)} Your image was moderated: it does not follow the Picsi.Ai content policy and was not processed.";

    /// <summary>The interim original response of the follow-up pattern; the answer comes as a follow-up message.</summary>
    public static string Interim(string userId) => $"{Mention(userId)} Your command was received and is being processed…";

    /// <summary>The ephemeral refusal: only the invoking user's client ever shows it.</summary>
    public static string PrivateRefusal(string userId) =>
        $"{Mention(userId)} The bot is busy with your previous command; please try again in a moment.";

    private static string Listing(IReadOnlyList<string> names) =>
        names.Count == 0 ? "none" : string.Join(", ", names.Select(n => $"`{n}`"));
}

/// <summary>What each command costs in daily credits (the real bot: 50 a day, headshot 4).</summary>
public static class CreditPrices
{
    public const int SaveId = 1;
    public const int SwapId = 1;
    public const int INSwapper = 1;
    public const int PicsiImage = 1;
    public const int PicsiAnimated = 20;
    public const int ChangeBg = 2;
    public const int Headshot = 4;
    // setid, listid, delid and delall only manage saved ids and are free.
}
