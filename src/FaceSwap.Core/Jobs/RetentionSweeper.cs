using FaceSwap.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceSwap.Core.Jobs;

/// <summary>
/// Past the retention period a job's inputs and results are deleted and its id answers 410 from then on.
/// </summary>
public sealed class RetentionSweeper(
    IJobStore jobs,
    Webhooks.IIdempotencyStore idempotencyKeys,
    IBlobStore blobs,
    IOptions<JobsOptions> options,
    TimeProvider clock,
    ILogger<RetentionSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var swept = await SweepAsync(stoppingToken);
                await idempotencyKeys.PurgeAsync(clock.GetUtcNow() - options.Value.IdempotencyKeyLifetime, stoppingToken);
                if (swept > 0) logger.LogInformation("Expired {Count} jobs past retention", swept);
                await Task.Delay(options.Value.RetentionSweepInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                logger.LogError(e, "Retention sweep failed");
                await Task.Delay(options.Value.RetentionSweepInterval, clock, stoppingToken).ContinueWith(_ => { });
            }
        }
    }

    /// <summary>Expires every job past retention; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            var due = await jobs.ListPastRetentionAsync(clock.GetUtcNow() - options.Value.Retention, 200, cancellationToken);
            foreach (var job in due)
            {
                // The row is marked first: a crash between the two steps leaves orphan files, never a job
                // that answers 200 with dead links.
                await jobs.MarkExpiredAsync(job.Id, cancellationToken);
                var blobIds = job.Files.Values.Select(f => f.BlobId).Concat(job.Attachments.Select(a => a.BlobId));
                foreach (var blobId in blobIds) await blobs.DeleteAsync(blobId, cancellationToken);
            }
            total += due.Count;
            if (due.Count < 200) return total;
        }
    }
}
