namespace FaceSwap.Core.Jobs;

public enum JobStatus
{
    Created,
    Started,
    Progress,
    Completed,
    Failed,
    Moderated,
    Cancelled,
}

public static class JobStatuses
{
    public static string ToWire(this JobStatus status) => status.ToString().ToLowerInvariant();

    public static JobStatus Parse(string wire) => Enum.Parse<JobStatus>(wire, ignoreCase: true);

    /// <summary>Terminal states never change again.</summary>
    public static bool IsTerminal(this JobStatus status) =>
        status is JobStatus.Completed or JobStatus.Failed or JobStatus.Moderated or JobStatus.Cancelled;

    /// <summary>
    /// The allowed moves: created → started → progress* → terminal. A job may skip straight to a
    /// terminal state from any non-terminal one (a failure at submit, a cancel before start).
    /// </summary>
    public static bool CanMoveTo(this JobStatus from, JobStatus to) => from switch
    {
        _ when from.IsTerminal() => false,
        JobStatus.Created => to != JobStatus.Created,
        JobStatus.Started => to is not (JobStatus.Created or JobStatus.Started),
        JobStatus.Progress => to is not (JobStatus.Created or JobStatus.Started),
        _ => false,
    };
}
