using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace FaceSwap.Client;

/// <summary>Jobs (spec section 4) and waiting for them without sleeping (section 5).</summary>
public sealed partial class FaceSwapClient
{
    /// <summary><c>GET /jobs/?jobid=</c>: the job as it stands.</summary>
    public Task<Job> GetJobAsync(string jobId, CancellationToken cancellationToken = default) =>
        ReadAsync<Job>(Request(HttpMethod.Get, "jobs/?jobid=" + Query(jobId)), cancellationToken);

    /// <summary><c>GET /jobs</c>: the ids of the caller's executing jobs.</summary>
    public Task<IReadOnlyList<string>> ListExecutingJobsAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<string>>(Request(HttpMethod.Get, "jobs"), cancellationToken);

    /// <summary><c>GET /jobs/cancel/?jobid=</c>; a job that has already ended is a 409 (<see cref="FaceSwapApiException"/>).</summary>
    public Task<CancelledJob> CancelJobAsync(string jobId, CancellationToken cancellationToken = default) =>
        ReadAsync<CancelledJob>(Request(HttpMethod.Get, "jobs/cancel/?jobid=" + Query(jobId)), cancellationToken);

    /// <summary>
    /// The job once it has ended (completed, failed, moderated or cancelled). Each request asks the server to
    /// hold it until the job ends (<c>Prefer: wait=N</c>), and asks again at once when the server did; a server
    /// that does not say it applied the preference (no <c>Preference-Applied</c>, as the commercial service) is
    /// polled instead, the interval growing from <see cref="FaceSwapClientOptions.MinPollInterval"/> while
    /// nothing changes. <paramref name="progress"/> hears every new snapshot.
    /// </summary>
    public async Task<Job> WaitForCompletionAsync(string jobId, IProgress<Job>? progress = null, CancellationToken cancellationToken = default)
    {
        Job? last = null;
        await foreach (var job in PollAsync(jobId, cancellationToken))
        {
            progress?.Report(job);
            last = job;
        }
        return last!;
    }

    /// <summary>
    /// Every change of the job until it ends: the server's stream (<c>GET /jobs/stream?jobid=</c>, server-sent
    /// events), reconnected if it closes early; where there is no stream, the snapshots
    /// <see cref="WaitForCompletionAsync"/> sees.
    /// </summary>
    public async IAsyncEnumerable<Job> WatchJobAsync(string jobId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Job? last = null;
        while (true)
        {
            using var request = Request(HttpMethod.Get, "jobs/stream?jobid=" + Query(jobId));
            request.Headers.Accept.Clear();
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode || response.Content.Headers.ContentType?.MediaType != "text/event-stream")
            {
                // No stream here: polling (whose first read also reports a missing job or a refused token).
                response.Dispose();
                await foreach (var job in PollAsync(jobId, cancellationToken))
                {
                    if (last is null || Changed(last, job)) yield return job;
                    last = job;
                }
                yield break;
            }
            var events = 0;
            using (response)
            {
                await foreach (var job in ReadEventsAsync(response, cancellationToken))
                {
                    events++;
                    if (last is null || Changed(last, job)) yield return job;
                    last = job;
                    if (job.IsTerminal) yield break;
                }
            }
            // A stream that closes before the job ends is opened again (the server ends long ones); one that
            // closes without a single event (a proxy in the way) is not, the job is polled instead.
            if (events == 0)
            {
                await foreach (var job in PollAsync(jobId, cancellationToken))
                {
                    if (last is null || Changed(last, job)) yield return job;
                    last = job;
                }
                yield break;
            }
        }
    }

    /// <summary>Snapshots until the job ends: long polls while the server holds requests, else polling with backoff.</summary>
    private async IAsyncEnumerable<Job> PollAsync(string jobId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var interval = Options.MinPollInterval;
        Job? last = null;
        var waitSeconds = Math.Clamp((int)Options.LongPollWait.TotalSeconds, 1, 60);
        while (true)
        {
            using var request = Request(HttpMethod.Get, "jobs/?jobid=" + Query(jobId));
            request.Headers.TryAddWithoutValidation("Prefer", $"wait={waitSeconds}");
            Job job;
            bool held;
            using (var response = await SendAsync(request, cancellationToken))
            {
                held = response.Headers.TryGetValues("Preference-Applied", out var applied)
                    && applied.Any(v => v.Contains("wait", StringComparison.OrdinalIgnoreCase));
                job = await ReadBodyAsync<Job>(response, cancellationToken);
            }
            var changed = last is null || Changed(last, job);
            if (changed) yield return job;
            if (job.IsTerminal) yield break;
            last = job;
            if (held) continue;
            interval = changed ? Options.MinPollInterval : Min(interval * 2, Options.MaxPollInterval);
            await Task.Delay(interval, Options.TimeProvider, cancellationToken);
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static bool Changed(Job before, Job after) =>
        before.Status != after.Status || before.Updated != after.Updated || before.Content != after.Content
        || (before.Attachments?.Count ?? 0) != (after.Attachments?.Count ?? 0);

    /// <summary>Server-sent events (the HTML standard's format): each <c>job</c> event's data is one job.</summary>
    private static async IAsyncEnumerable<Job> ReadEventsAsync(HttpResponseMessage response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var (name, job) in ReadServerEventsAsync(response, cancellationToken))
        {
            if (job is not null && name is "job" or "message") yield return job;
        }
    }

    /// <summary>Every event of a stream with its name (<c>message</c> when unnamed); a <c>job</c> or unnamed event's data read as a job.</summary>
    private static async IAsyncEnumerable<(string Name, Job? Job)> ReadServerEventsAsync(HttpResponseMessage response,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(body, Encoding.UTF8);
        var data = new StringBuilder();
        var hasData = false;
        string? eventName = null;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (hasData)
                {
                    var name = eventName ?? "message";
                    var job = name is "job" or "message" && data.Length > 0 ? JsonSerializer.Deserialize<Job>(data.ToString(), Json) : null;
                    yield return (name, job);
                }
                data.Clear();
                hasData = false;
                eventName = null;
                continue;
            }
            if (line[0] == ':') continue;
            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            if (field == "data")
            {
                if (hasData) data.Append('\n');
                data.Append(value);
                hasData = true;
            }
            else if (field == "event")
            {
                eventName = value;
            }
        }
    }
}
