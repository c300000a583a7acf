namespace FaceSwap.Core.Intake;

/// <summary>A file part of a command request: the client's word for its name and type, and its bytes.</summary>
public sealed record SubmittedFile(string Field, string DeclaredName, string? DeclaredType, byte[] Content);

/// <summary>
/// A command request as the API read it, before any check: its text fields (trimmed, empty ones left out),
/// its file parts, and who sent it. <see cref="CommandIntake"/> decides what becomes of it. With
/// <see cref="RespondAsync"/> (RFC 7240 <c>Prefer: respond-async</c>) the client takes the job as soon as it is
/// stored, and reads its status and results later.
/// </summary>
public sealed record Submission(
    CommandSpec Command,
    long UserId,
    long? TokenId,
    IReadOnlyDictionary<string, string> Fields,
    IReadOnlyList<SubmittedFile> Files,
    string? IdempotencyKey = null,
    bool RespondAsync = false)
{
    public string? Field(string name) => Fields.GetValueOrDefault(name);
}

/// <summary>What became of a submission: the job to show (the first one for a replayed key), or a refusal.</summary>
public abstract record IntakeResult
{
    public sealed record Accepted(Jobs.Job Job, bool Replayed) : IntakeResult;

    public sealed record Refused(Refusal Refusal) : IntakeResult;
}
