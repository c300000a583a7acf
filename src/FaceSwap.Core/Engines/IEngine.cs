using FaceSwap.Core.Accounts;
using FaceSwap.Core.Jobs;

namespace FaceSwap.Core.Engines;

/// <summary>
/// Runs jobs of one kind of channel. The dispatcher calls <see cref="RunAsync"/> once per claimed job
/// (again after a restart for a job that was not terminal); the engine reports every transition through
/// the <see cref="IJobExecution"/> and returns once the job is terminal. Throwing fails the job with the
/// exception's message.
/// </summary>
public interface IEngine
{
    /// <summary>The <c>engine</c> value of the accounts it serves: <see cref="EngineNames"/>.</summary>
    string Name { get; }

    /// <summary>
    /// The commands this engine runs: the one place that says so. Submission refuses any other verb on a
    /// channel of this engine with a 400, before anything is stored.
    /// </summary>
    IReadOnlySet<Verb> SupportedVerbs => VerbNames.All;

    Task RunAsync(IJobExecution execution, CancellationToken cancellationToken);
}

/// <summary>A result image or video an engine produced, before this server re-hosts it.</summary>
public sealed record ResultFile(
    string FileName,
    string ContentType,
    byte[] Content,
    int? Width = null,
    int? Height = null,
    string? UpstreamId = null);

/// <summary>An input file's bytes as the user uploaded them.</summary>
public sealed record InputContent(string FileName, string ContentType, byte[] Content);

/// <summary>
/// The engine's handle on one job run. Every call is one durable write; calls after the job became
/// terminal (cancelled meanwhile) are ignored, and the cancellation token passed to RunAsync fires.
/// </summary>
public interface IJobExecution
{
    Job Job { get; }
    Account Account { get; }

    /// <summary>True while a blocking request holds its connection open for this job (poll fast).</summary>
    bool ClientWaiting { get; }

    Task<InputContent> ReadInputAsync(string field, CancellationToken cancellationToken);

    /// <summary>
    /// The newest upstream message id that any job of this job's channel has recorded (on any node, before any
    /// restart), or null: an answer already taken, which a new command of the channel must not take again.
    /// </summary>
    Task<string?> NewestRecordedMessageIdAsync(CancellationToken cancellationToken);

    /// <summary>Persists engine-private state so that a restarted run can resume (see Job.EngineState).</summary>
    Task SaveEngineStateAsync(string state, CancellationToken cancellationToken);

    /// <summary>created → started, or started → progress, with the upstream message as it stands.</summary>
    Task ReportAsync(JobStatus status, UpstreamMessage message, CancellationToken cancellationToken);

    Task CompleteAsync(UpstreamMessage message, IReadOnlyList<ResultFile> files, CancellationToken cancellationToken);

    /// <summary>Ends the job <c>failed</c> (or <c>moderated</c>) with a person-readable error.</summary>
    Task FailAsync(string error, string? errorDetails, UpstreamMessage? message, bool moderated, CancellationToken cancellationToken);

    Task SetAccountHealthAsync(AccountHealth health, string? detail, CancellationToken cancellationToken);

    Task SetCreditsAsync(Credits credits, CancellationToken cancellationToken);
}
