using System.Collections.Concurrent;
using FaceSwap.Core.Accounts;
using FaceSwap.Core.Engines;
using FaceSwap.Core.Jobs;

namespace FaceSwap.Discord.Tests;

/// <summary>
/// Stands in for the server's job execution: serves inputs and records every call the engine makes. The upstream
/// messages reported are recorded per channel across executions, as the job store keeps them across processes.
/// </summary>
internal sealed class FakeJobExecution(Job job, Account account, IReadOnlyDictionary<string, InputContent>? inputs = null) : IJobExecution
{
    private static readonly ConcurrentDictionary<string, string> NewestRecordedByChannel = new();

    public Job Job { get; private set; } = job;
    public Account Account { get; } = account;
    public bool ClientWaiting { get; set; } = true;

    public ConcurrentQueue<string> SavedStates { get; } = new();
    public ConcurrentQueue<(JobStatus Status, UpstreamMessage Message)> Reports { get; } = new();
    public ConcurrentQueue<(AccountHealth Health, string? Detail)> HealthChanges { get; } = new();
    public ConcurrentQueue<Credits> CreditsSeen { get; } = new();
    public (UpstreamMessage Message, IReadOnlyList<ResultFile> Files)? Completed { get; private set; }
    public (string Error, string? Details, UpstreamMessage? Message, bool Moderated)? Failed { get; private set; }

    /// <summary>Called after each saved state, e.g. to cancel the run at a chosen point.</summary>
    public Action<string>? OnSave { get; set; }

    public Task<InputContent> ReadInputAsync(string field, CancellationToken cancellationToken) =>
        inputs is not null && inputs.TryGetValue(field, out var input)
            ? Task.FromResult(input)
            : throw new KeyNotFoundException($"test gave no input {field}");

    public Task<string?> NewestRecordedMessageIdAsync(CancellationToken cancellationToken) =>
        Task.FromResult(NewestRecordedByChannel.TryGetValue(Job.Channel, out var id) ? id : null);

    private void Record(UpstreamMessage? message)
    {
        if (message?.MessageId is { } id)
        {
            NewestRecordedByChannel.AddOrUpdate(Job.Channel, id, (_, current) => Protocol.Snowflake.Max(current, id));
        }
    }

    public Task SaveEngineStateAsync(string state, CancellationToken cancellationToken)
    {
        SavedStates.Enqueue(state);
        Job = Job with { EngineState = state };
        OnSave?.Invoke(state);
        return Task.CompletedTask;
    }

    public Task ReportAsync(JobStatus status, UpstreamMessage message, CancellationToken cancellationToken)
    {
        Assert.True(Job.Status.CanMoveTo(status), $"{Job.Status} → {status} is not allowed");
        Reports.Enqueue((status, message));
        Record(message);
        Job = Job with { Status = status, Upstream = message };
        return Task.CompletedTask;
    }

    public Task CompleteAsync(UpstreamMessage message, IReadOnlyList<ResultFile> files, CancellationToken cancellationToken)
    {
        Assert.Null(Completed);
        Assert.Null(Failed);
        Completed = (message, files);
        Record(message);
        Job = Job with { Status = JobStatus.Completed, Upstream = message };
        return Task.CompletedTask;
    }

    public Task FailAsync(string error, string? errorDetails, UpstreamMessage? message, bool moderated, CancellationToken cancellationToken)
    {
        Assert.Null(Completed);
        Assert.Null(Failed);
        Failed = (error, errorDetails, message, moderated);
        Record(message);
        Job = Job with { Status = moderated ? JobStatus.Moderated : JobStatus.Failed };
        return Task.CompletedTask;
    }

    public Task SetAccountHealthAsync(AccountHealth health, string? detail, CancellationToken cancellationToken)
    {
        HealthChanges.Enqueue((health, detail));
        return Task.CompletedTask;
    }

    public Task SetCreditsAsync(Credits credits, CancellationToken cancellationToken)
    {
        CreditsSeen.Enqueue(credits);
        return Task.CompletedTask;
    }
}
