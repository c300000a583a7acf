using System.Collections.Concurrent;
using System.Threading.Channels;
using FaceSwap.Core.Accounts;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceSwap.Core.Dispatch;

/// <summary>
/// Runs jobs on their channel's engine, each exactly once per claim, as River and Oban do: a job enters
/// execution only through the store's claim (one owner-checked statement that counts an attempt); this node
/// heartbeats every lease it holds, waiting or running; it re-reads a job right before running it; every write
/// of a run checks the lease, and a run whose lease is gone stops. A node that dies leaves its leases to run
/// out and another claims the jobs; one that stops cleanly hands them back. A job whose runs were cut off
/// <see cref="JobsOptions.MaxAttempts"/> times fails instead of running again.
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
    /// <summary>The budget of the CPU-bound local engine; every other engine shares <see cref="SharedBudget"/>.</summary>
    public const string LocalBudget = "local";
    public const string SharedBudget = "shared";
    private const int ClaimBatch = 100;

    private readonly JobLanes _lanes = new(new Dictionary<string, int>
    {
        [LocalBudget] = options.Value.MaxConcurrentLocalJobs,
        [SharedBudget] = options.Value.MaxConcurrentJobs,
    });
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new();
    private readonly ConcurrentDictionary<Task, bool> _runs = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private CancellationToken _stopping = new(canceled: true);

    /// <summary>This process's identity as a lease owner; a restarted process is a new owner.</summary>
    public string NodeId { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>
    /// Says that a job was just stored (or a slot freed): the claim loop runs now instead of at its next scan,
    /// so a new job starts within milliseconds. Only a wake-up: the job still enters through the claim.
    /// </summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>Stops the engine run of a job that was just cancelled, if it runs here.</summary>
    public void StopRun(string jobId)
    {
        if (_running.TryGetValue(jobId, out var run)) run.Cancel();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        var heartbeat = HeartbeatAsync(stoppingToken);
        // A periodic timer keeps its beat while a claim runs, so no scan is lost however long one takes.
        using var scans = new PeriodicTimer(options.Value.RecoveryInterval, clock);
        var scan = scans.WaitForNextTickAsync(stoppingToken).AsTask();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ClaimAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Claiming jobs failed");
            }
            // Claim again at the next scan, or at once when woken (a job was stored, a run ended).
            var woken = _wake.Reader.WaitToReadAsync(stoppingToken).AsTask();
            if (await Task.WhenAny(scan, woken) == scan && !stoppingToken.IsCancellationRequested)
                scan = scans.WaitForNextTickAsync(stoppingToken).AsTask();
            _wake.Reader.TryRead(out _);
        }
        await heartbeat;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        var held = _lanes.WaitingIds().Concat(_running.Keys).ToList();
        await base.StopAsync(cancellationToken);
        try
        {
            // Runs end at once on the stopping token; their last writes land before the leases go back.
            await Task.WhenAll(_runs.Keys).WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            logger.LogWarning("{Count} job runs were still stopping when the leases were handed back", _runs.Count);
        }
        held.AddRange(_lanes.WaitingIds());
        try
        {
            // Handed back, so the next start claims these jobs without waiting their leases out.
            await jobs.ReleaseAsync(held.Distinct().ToList(), NodeId, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not hand back {Count} job leases at shutdown", held.Count);
        }
    }

    /// <summary>Claims what this node has room for (new jobs and orphans alike) and starts what a budget allows.</summary>
    private async Task ClaimAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = clock.GetUtcNow();
            var claimed = await jobs.ClaimAsync(NodeId, now, now + settings.LeaseDuration,
                Math.Max(1, settings.MaxConcurrentJobsPerChannel), ClaimBatch, stoppingToken);
            foreach (var claim in claimed)
            {
                if (claim.Attempt > 1) logger.LogInformation("Resuming job {JobId} ({Status}), attempt {Attempt}", claim.Job.Id, claim.Job.Status.ToWire(), claim.Attempt);
                if (claim.AttemptsExhausted)
                {
                    await GiveUpAsync(claim);
                    continue;
                }
                var account = await accounts.GetAsync(claim.Job.UserId, claim.Job.Channel, stoppingToken);
                _lanes.Add(claim, account?.Engine == EngineNames.Local ? LocalBudget : SharedBudget);
            }
            StartReady();
            if (claimed.Count < ClaimBatch) return;
        }
    }

    private void StartReady()
    {
        while (!_stopping.IsCancellationRequested && _lanes.TryTake(out var claim, out var budget))
        {
            // On the pool: store calls may complete synchronously, and one run must not start the next inline.
            var run = Task.Run(() => RunAsync(claim.Job.Id, budget));
            _runs[run] = true;
            run.ContinueWith(t => _runs.TryRemove(t, out _), TaskScheduler.Default);
        }
    }

    private async Task RunAsync(string jobId, string budget)
    {
        using var run = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
        try
        {
            if (!_running.TryAdd(jobId, run)) return;
            // Re-read right before running: the job may have ended, or changed hands, since the claim.
            var job = await jobs.FindLeasedAsync(jobId, NodeId, run.Token);
            if (job is null)
            {
                logger.LogInformation("Job {JobId} is no longer ours to run; skipped", jobId);
                return;
            }
            var account = await accounts.GetAsync(job.UserId, job.Channel, run.Token);
            var engine = account is null ? null : engines.Find(account.Engine);
            if (account is null || engine is null)
            {
                await FailAsync(job.Id, account is null
                    ? $"Configuration not found for channel {job.Channel}"
                    : $"No engine named {account.Engine} runs on this server", null);
                return;
            }
            var execution = new JobExecution(job, account, NodeId, jobs, accounts, blobs, notifier, waiters.IsWaiting, clock,
                leaseLost: () => LeaseLost(job.Id, run));
            await engine.RunAsync(execution, run.Token);
            if (!execution.Job.Status.IsTerminal() && !run.IsCancellationRequested)
            {
                if (await jobs.FindLeasedAsync(job.Id, NodeId, CancellationToken.None) is { } still)
                    await FailAsync(job.Id, "The engine stopped without a result", $"Engine {engine.Name} returned while the job was {still.Status.ToWire()}");
            }
        }
        catch (OperationCanceledException) when (run.IsCancellationRequested)
        {
            // Cancelled by the user (already terminal), lost to another node, or shutdown (handed back).
        }
        catch (Exception e)
        {
            logger.LogError(e, "Job {JobId} failed in its engine", jobId);
            await FailAsync(jobId, "The job failed", e.Message);
        }
        finally
        {
            _running.TryRemove(new KeyValuePair<string, CancellationTokenSource>(jobId, run));
            _lanes.Finished(budget);
            StartReady();
            // A lane has room again: its next job may be waiting unclaimed.
            Wake();
        }
    }

    private void LeaseLost(string jobId, CancellationTokenSource run)
    {
        logger.LogWarning("Job {JobId}: this node lost its lease; its run stops", jobId);
        run.Cancel();
    }

    private async Task GiveUpAsync(ClaimedJob claim)
    {
        logger.LogWarning("Job {JobId} gave up after {Attempts} attempts", claim.Job.Id, claim.MaxAttempts);
        await FailAsync(claim.Job.Id, $"The job gave up after {claim.MaxAttempts} attempts",
            $"Its run was cut off {claim.MaxAttempts} times (the server stopped without handing it back), so it is not run again.");
    }

    private async Task FailAsync(string jobId, string error, string? details)
    {
        try
        {
            var failed = await jobs.UpdateLeasedAsync(jobId, NodeId,
                j => j with { Status = JobStatus.Failed, Error = error, ErrorDetails = details, Updated = clock.GetUtcNow() },
                CancellationToken.None);
            if (failed.Stored is { } stored) notifier.Publish(stored);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Could not fail job {JobId}", jobId);
        }
    }

    /// <summary>Renews every lease this node holds, waiting or running; a job whose lease is gone leaves this node.</summary>
    private async Task HeartbeatAsync(CancellationToken stoppingToken)
    {
        using var beats = new PeriodicTimer(options.Value.LeaseDuration / 3, clock);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await beats.WaitForNextTickAsync(stoppingToken);
                await RenewLeasesAsync(stoppingToken);
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

    private async Task RenewLeasesAsync(CancellationToken cancellationToken)
    {
        // Listed before the renewal: a job claimed meanwhile is not in the list, so it is never taken for lost.
        var mine = _lanes.WaitingIds().Concat(_running.Keys).Distinct().ToList();
        var held = await jobs.HeartbeatAsync(mine, NodeId, clock.GetUtcNow() + options.Value.LeaseDuration, cancellationToken);
        foreach (var lost in mine.Where(id => !held.Contains(id)))
        {
            if (_lanes.Remove(lost)) logger.LogWarning("Job {JobId} waited here but its lease is gone; dropped", lost);
            else StopRun(lost);
        }
    }
}
