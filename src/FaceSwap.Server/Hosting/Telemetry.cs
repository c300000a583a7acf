using FaceSwap.Core.Dispatch;
using FaceSwap.Core.Jobs;
using Prometheus;

namespace FaceSwap.Server.Hosting;

/// <summary>
/// Prometheus metrics of the job side (HTTP metrics come from prometheus-net's middleware): every job
/// transition, counted by verb and status, taken from the same change notification the waiters use.
/// </summary>
public sealed class JobMetrics : IHostedService
{
    private static readonly Counter Transitions = Metrics.CreateCounter(
        "faceswap_job_transitions_total", "Job status changes, by verb and new status.", "verb", "status");

    private readonly JobNotifier _notifier;

    public JobMetrics(JobNotifier notifier) => _notifier = notifier;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _notifier.Changed += Count;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _notifier.Changed -= Count;
        return Task.CompletedTask;
    }

    private static void Count(Job job) => Transitions.WithLabels(job.Verb.ToWire(), job.Status.ToWire()).Inc();
}
