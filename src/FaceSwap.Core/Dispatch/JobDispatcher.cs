using System.Collections.Concurrent;
using System.Threading.Channels;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceSwap.Core.Dispatch;

/// <summary>
/// Runs jobs on their channel's engine. A job is run by the node that holds its lease; the lease is renewed
/// while the engine works, released on a clean stop, and taken over by the recovery scan when its owner
/// died, so every accepted job reaches a terminal state across crashes and restarts.
/// </summary>
public sealed class JobDispatcher(
    IJobStore jobs,
    IAccountStore accounts,
    IBlobStore blobs,
    EngineRegistry engines,
    JobNotifier notifier,
    JobWaiters waiters,
    IOptions<JobsOptions> options,
    TimeProvider clock,
    ILogger<JobDispatcher> logger) : BackgroundService
{
    private readonly Channel<Job> _queue = Channel.CreateUnbounded<Job>();
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new();
    private readonly SemaphoreSlim _slots = new(options.Value.MaxConcurrentJobs);

    /// <summary>This process's identity as a lease owner; a restarted process is a new owner.</summary>
    public string NodeId { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    public DateTimeOffset LeaseUntil() => clock.GetUtcNow() + options.Value.LeaseDuration;

    /// <summary>Hands a job this node inserted (and so already leases) to the engines.</summary>
    public void Enqueue(Job job) => _queue.Writer.TryWrite(job);

    /// <summary>Stops the engine run of a job that was just cancelled, if it runs here.</summary>
    public void StopRun(string jobId)
    {
        if (_running.TryGetValue(jobId, out var run)) run.Cancel();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var recovery = RecoverOrphansAsync(stoppingToken);
        var renewal = RenewLeasesAsync(stoppingToken);
        try
        {
            await foreach (var job in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                await _slots.WaitAsync(stoppingToken);
                _ = RunAsync(job, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await Task.WhenAll(recovery, renewal);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // Hand the leases back at once, so the next start resumes these jobs without waiting them out.
        var held = _running.Keys.ToList();
        try
        {
            await jobs.RenewLeasesAsync(held, NodeId, clock.GetUtcNow().AddSeconds(-1), CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not release {Count} job leases at shutdown", held.Count);
        }
    }

    private async Task RunAsync(Job job, CancellationToken stoppingToken)
    {
        using var run = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        if (!_running.TryAdd(job.Id, run))
        {
            _slots.Release();
            return;
        }
        try
        {
            var account = await accounts.GetAsync(job.UserId, job.Channel, run.Token);
            var execution = account is null ? null : new JobExecution(job, account, jobs, accounts, blobs, notifier, waiters.IsWaiting, clock);
            var engine = account is null ? null : engines.Find(account.Engine);
            if (execution is null || engine is null)
            {
                await FailAsync(job, account is null
                    ? $"Configuration not found for channel {job.Channel}"
                    : $"No engine named {account.Engine} runs on this server", null);
                return;
            }
            await engine.RunAsync(execution, run.Token);
            if (!execution.Job.Status.IsTerminal() && !run.IsCancellationRequested)
            {
                var current = await jobs.FindAsync(job.Id, CancellationToken.None);
                if (current.Job is { } still && !still.Status.IsTerminal())
                    await FailAsync(job, "The engine stopped without a result", $"Engine {engine.Name} returned while the job was {still.Status.ToWire()}");
            }
        }
        catch (OperationCanceledException) when (run.IsCancellationRequested)
        {
            // Cancelled by the user (already terminal) or by shutdown (resumed by the next start).
        }
        catch (Exception e)
        {
            logger.LogError(e, "Job {JobId} failed in its engine", job.Id);
            await FailAsync(job, "The job failed", e.Message);
        }
        finally
        {
            _running.TryRemove(job.Id, out _);
            _slots.Release();
        }
    }

    private async Task FailAsync(Job job, string error, string? details)
    {
        var failed = await jobs.UpdateAsync(job.Id,
            j => j with { Status = JobStatus.Failed, Error = error, ErrorDetails = details, Updated = clock.GetUtcNow() },
            CancellationToken.None);
        if (failed is not null) notifier.Publish(failed);
    }

    private async Task RecoverOrphansAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var orphans = await jobs.ClaimOrphansAsync(NodeId, clock.GetUtcNow(), LeaseUntil(), 100, stoppingToken);
                foreach (var orphan in orphans)
                {
                    logger.LogInformation("Resuming job {JobId} ({Status})", orphan.Id, orphan.Status.ToWire());
                    Enqueue(orphan);
                }
                await Task.Delay(options.Value.RecoveryInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                logger.LogError(e, "Recovery scan failed");
                await Task.Delay(options.Value.RecoveryInterval, clock, stoppingToken).ContinueWith(_ => { });
            }
        }
    }

    private async Task RenewLeasesAsync(CancellationToken stoppingToken)
    {
        var every = options.Value.LeaseDuration / 3;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, clock, stoppingToken);
                var ids = _running.Keys.ToList();
                var held = await jobs.RenewLeasesAsync(ids, NodeId, LeaseUntil(), stoppingToken);
                // A run whose job is no longer ours (cancelled, or taken over) stops.
                foreach (var lost in ids.Where(id => !held.Contains(id))) StopRun(lost);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                logger.LogError(e, "Lease renewal failed");
            }
        }
    }
}
