using Microsoft.Extensions.Options;

namespace FaceSwap.Core.Jobs;

/// <summary>
/// Whether a job is past <see cref="JobsOptions.Retention"/>, from its created time and the clock now: a read
/// answers 410 from that moment, whether or not the sweeper has deleted the job's files yet.
/// </summary>
public sealed class JobRetention(IOptions<JobsOptions> options, TimeProvider clock)
{
    public bool IsPast(DateTimeOffset created) => clock.GetUtcNow() - created >= options.Value.Retention;
}
