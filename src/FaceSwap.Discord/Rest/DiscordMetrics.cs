using System.Diagnostics.Metrics;

namespace FaceSwap.Discord.Rest;

/// <summary>Why the engine called Discord: the tag of every counted request.</summary>
public enum RequestPurpose
{
    Identity,
    CommandIndex,
    Upload,
    Interaction,
    /// <summary>A channel history read, shared by every command waiting in the channel.</summary>
    Poll,
    /// <summary>One message read again by id, to see its edit.</summary>
    Reread,
    Download,
}

/// <summary>
/// The engine's Discord traffic as System.Diagnostics.Metrics instruments (the server exports every
/// meter on /metrics): requests by purpose, and per job the requests it made itself.
/// </summary>
public sealed class DiscordMetrics
{
    public const string MeterName = "FaceSwap.Discord";

    private static readonly AsyncLocal<JobRequestTally?> Ambient = new();

    private readonly Counter<long> requests;
    private readonly Histogram<long> jobRequests;

    public DiscordMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        requests = meter.CreateCounter<long>("faceswap.discord.requests", "{request}",
            "HTTP requests to Discord (retries included), by purpose");
        jobRequests = meter.CreateHistogram<long>("faceswap.discord.job.requests", "{request}",
            "Discord API requests one job made itself (upload slots, interactions, command index, user), by verb; history polls and re-reads are shared by the channel and counted apart");
    }

    /// <summary>Counts one HTTP request; <paramref name="api"/>: to Discord's API (not the CDN or upload storage).</summary>
    public void CountRequest(RequestPurpose purpose, bool api)
    {
        requests.Add(1, new KeyValuePair<string, object?>("purpose", purpose.ToString().ToLowerInvariant()));
        if (api && purpose is not RequestPurpose.Poll)
        {
            Ambient.Value?.Add();
        }
    }

    /// <summary>Counts the requests made in this async flow until disposed, then records them for the verb.</summary>
    public JobRequestTally BeginJob(string verb)
    {
        var tally = new JobRequestTally(this, verb);
        Ambient.Value = tally;
        return tally;
    }

    private void Record(string verb, long count) =>
        jobRequests.Record(count, new KeyValuePair<string, object?>("verb", verb));

    public sealed class JobRequestTally(DiscordMetrics owner, string verb) : IDisposable
    {
        private long count;
        private int done;

        public long Count => Interlocked.Read(ref count);

        internal void Add() => Interlocked.Increment(ref count);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref done, 1) == 0)
            {
                owner.Record(verb, Count);
                if (Ambient.Value == this)
                {
                    Ambient.Value = null;
                }
            }
        }
    }
}
