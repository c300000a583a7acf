using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;

namespace FaceSwap.Testing;

/// <summary>How the receiver answers one request: after <paramref name="Delay"/> (<see cref="Hang"/>: never, until the caller gives up).</summary>
public sealed record Answer(int Status = 200, TimeSpan Delay = default, string? RedirectTo = null)
{
    /// <summary>A request that is never answered: the receiver holds it until the sender gives up and drops the connection.</summary>
    public static Answer Hang => new(Delay: Timeout.InfiniteTimeSpan);
}

/// <summary>A real HTTP receiver of replyUrl calls on loopback that fails, times out, redirects or answers 410 on cue; 200 otherwise.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<Answer> _script = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private Peer _peer = null!;

    private WebhookReceiver()
    {
    }

    public Uri BaseUrl => _peer.BaseUrl;

    /// <summary>Every call so far, in the order they arrived (answered or not).</summary>
    public ConcurrentQueue<PeerRequest> Calls => _peer.Requests;

    public static async Task<WebhookReceiver> StartAsync()
    {
        var receiver = new WebhookReceiver();
        receiver._peer = await Peer.StartAsync(receiver.AnswerAsync);
        return receiver;
    }

    public string Url(string path = "/hook") => _peer.Url(path);

    /// <summary>Answers the next requests like this, in order; after the script, 200.</summary>
    public void Then(params Answer[] answers)
    {
        foreach (var answer in answers) _script.Enqueue(answer);
    }

    /// <summary>Waits until <paramref name="count"/> calls have arrived, answered or not (a hanging one counts).</summary>
    public async Task<List<PeerRequest>> WaitForCallsAsync(int count, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(20));
        while (Calls.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"Expected {count} calls, got {Calls.Count}");
            await _arrived.WaitAsync(left);
        }
        return Calls.ToList();
    }

    private async Task AnswerAsync(PeerRequest call, HttpResponse response)
    {
        _arrived.Release();
        var answer = _script.TryDequeue(out var scripted) ? scripted : new Answer();
        if (answer.Delay != TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(answer.Delay, response.HttpContext.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        if (answer.RedirectTo is not null) response.Headers.Location = answer.RedirectTo;
        response.StatusCode = answer.Status;
    }

    public ValueTask DisposeAsync() => _peer.DisposeAsync();
}
