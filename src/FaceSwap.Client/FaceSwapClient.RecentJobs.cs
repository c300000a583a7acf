using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json.Serialization;

namespace FaceSwap.Client;

/// <summary>
/// This server's extensions for following all of the caller's jobs: <c>GET /jobs/list</c> (recent jobs, paged)
/// and <c>GET /jobs/events</c> (a stream of every change). The commercial service has neither; against it these
/// methods throw a <see cref="FaceSwapApiException"/> (404) that says so.
/// </summary>
public sealed partial class FaceSwapClient
{
    /// <summary>
    /// <c>GET /jobs/list?limit=&amp;before=</c>: one page of the caller's jobs, newest first, and the cursor of the
    /// next one (<see cref="JobPage.Next"/>, null on the last page). <paramref name="limit"/> is 1 to 200 (the
    /// server's default is 50).
    /// </summary>
    public async Task<JobPage> ListRecentJobsAsync(int? limit = null, string? before = null, CancellationToken cancellationToken = default)
    {
        var query = new List<string>();
        if (limit is { } n) query.Add("limit=" + n.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (before is not null) query.Add("before=" + Uri.EscapeDataString(before));
        var path = "jobs/list" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
        try
        {
            return await ReadAsync<JobPage>(Request(HttpMethod.Get, path), cancellationToken);
        }
        catch (FaceSwapApiException e) when (e.Code == 404)
        {
            throw NotSupported("GET /v1/faceswap/jobs/list");
        }
    }

    /// <summary>All of the caller's recent jobs, newest first, read a page at a time as the caller goes on.</summary>
    public async IAsyncEnumerable<Job> ListAllRecentJobsAsync(int? pageSize = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? before = null;
        do
        {
            var page = await ListRecentJobsAsync(pageSize, before, cancellationToken);
            foreach (var job in page.Jobs) yield return job;
            before = page.Next;
        }
        while (before is not null);
    }

    /// <summary>
    /// Every change of any of the caller's jobs from now on, as it happens (<c>GET /jobs/events</c>), until
    /// <paramref name="cancellationToken"/> ends it. A stream that ends or breaks is opened again; once the new
    /// one is subscribed, the changes made in between are read from <c>GET /jobs/list</c> (and, for jobs older than
    /// the watch, from each job that had not ended). A job is never yielded twice in the same state.
    /// <paramref name="subscribed"/> is called each time the server has subscribed the stream: from then on no
    /// change is missed.
    /// </summary>
    public async IAsyncEnumerable<Job> WatchAllJobsAsync(Action? subscribed = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var seen = new Dictionary<string, Job>();
        // Jobs that may still change: those running when the watch began, and those seen running since.
        var open = new HashSet<string>();
        DateTimeOffset? since = null;
        var backoff = TimeSpan.Zero;
        while (true)
        {
            using var request = Request(HttpMethod.Get, "jobs/events");
            request.Headers.Accept.Clear();
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            HttpResponseMessage? response = null;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException) when (since is not null)
            {
                // A break after the watch began: try again below.
            }
            if (response is not null)
            {
                using (response)
                {
                    if (response.StatusCode == HttpStatusCode.NotFound) throw NotSupported("GET /v1/faceswap/jobs/events");
                    if (!response.IsSuccessStatusCode) throw await FaceSwapApiException.ReadAsync(response, cancellationToken);
                    if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
                        throw new FaceSwapApiException((int)response.StatusCode, "Not an event stream",
                            $"GET /v1/faceswap/jobs/events answered {response.Content.Headers.ContentType?.MediaType ?? "no content type"}");
                    var reconnect = since is not null;
                    var ready = false;
                    var events = ReadServerEventsAsync(response, cancellationToken).GetAsyncEnumerator(cancellationToken);
                    try
                    {
                        while (await NextOrBreakAsync(events, cancellationToken))
                        {
                            var (name, job) = events.Current;
                            if (name == "ready")
                            {
                                ready = true;
                                backoff = TimeSpan.Zero;
                                if (!reconnect)
                                {
                                    since = response.Headers.Date ?? Options.TimeProvider.GetUtcNow();
                                    foreach (var id in await ListExecutingJobsAsync(cancellationToken)) open.Add(id);
                                }
                                subscribed?.Invoke();
                                if (reconnect)
                                    await foreach (var missed in CatchUpAsync(seen, open, since!.Value, cancellationToken))
                                        yield return missed;
                                continue;
                            }
                            if (job is not null && ready && Remember(seen, open, job)) yield return job;
                        }
                    }
                    finally
                    {
                        await events.DisposeAsync();
                    }
                    // The server ends streams after their lifetime: open the next at once; a break waits a little longer each time.
                    if (ready) continue;
                }
            }
            backoff = backoff == TimeSpan.Zero ? TimeSpan.FromSeconds(1) : Min(backoff * 2, TimeSpan.FromSeconds(30));
            await Task.Delay(backoff, Options.TimeProvider, cancellationToken);
        }
    }

    /// <summary>After a reconnection: the jobs created since the watch began and the ones that had not ended, where they changed.</summary>
    private async IAsyncEnumerable<Job> CatchUpAsync(Dictionary<string, Job> seen, HashSet<string> open, DateTimeOffset since,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var listed = new HashSet<string>();
        // A second of slack: the list's times and the Date header are rounded differently.
        await foreach (var job in ListAllRecentJobsAsync(cancellationToken: cancellationToken))
        {
            if (job.Created is { } created && created < since - TimeSpan.FromSeconds(1)) break;
            listed.Add(job.JobId);
            if (Remember(seen, open, job)) yield return job;
        }
        foreach (var id in open.Except(listed).ToList())
        {
            Job job;
            try
            {
                job = await GetJobAsync(id, cancellationToken);
            }
            catch (FaceSwapApiException e) when (e.Code is 404 or 410)
            {
                open.Remove(id);
                continue;
            }
            if (Remember(seen, open, job)) yield return job;
        }
    }

    /// <summary>Records a job's state; false when it was already yielded in this state.</summary>
    private static bool Remember(Dictionary<string, Job> seen, HashSet<string> open, Job job)
    {
        if (job.IsTerminal) open.Remove(job.JobId);
        else open.Add(job.JobId);
        if (seen.TryGetValue(job.JobId, out var before) && !Changed(before, job)) return false;
        seen[job.JobId] = job;
        return true;
    }

    /// <summary>The next event, or false when the stream ended or broke (a dropped connection is not the caller's error).</summary>
    private static async Task<bool> NextOrBreakAsync(IAsyncEnumerator<(string Name, Job? Job)> events, CancellationToken cancellationToken)
    {
        try
        {
            return await events.MoveNextAsync();
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is IOException or HttpRequestException)
        {
            return false;
        }
    }

    private static FaceSwapApiException NotSupported(string endpoint) => new(404, $"This server does not support {endpoint}",
        "It is an extension of the self-hosted FaceSwap server; the commercial service has no such endpoint.");
}

/// <summary>A page of <c>GET /jobs/list</c>: jobs newest first, and the cursor of the next page (null on the last).</summary>
public sealed record JobPage(
    [property: JsonPropertyName("jobs")] IReadOnlyList<Job> Jobs,
    [property: JsonPropertyName("next")] string? Next);
