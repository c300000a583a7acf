using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace FaceSwap.Client.Tests.Infrastructure;

/// <summary>
/// Fake time that records every delay the client asks for and moves on exactly by it: no test waits for real
/// time to pass, and none races a timer it advances past before the timer exists.
/// </summary>
public sealed class TimerLog : TimeProvider
{
    private readonly SemaphoreSlim _created = new(0);
    private readonly ConcurrentQueue<TimeSpan> _pending = new();

    public FakeTimeProvider Clock { get; } = new();
    public ConcurrentQueue<TimeSpan> Delays { get; } = new();

    public override DateTimeOffset GetUtcNow() => Clock.GetUtcNow();
    public override long GetTimestamp() => Clock.GetTimestamp();
    public override long TimestampFrequency => Clock.TimestampFrequency;
    public override TimeZoneInfo LocalTimeZone => Clock.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = Clock.CreateTimer(callback, state, dueTime, period);
        Delays.Enqueue(dueTime);
        _pending.Enqueue(dueTime);
        _created.Release();
        return timer;
    }

    /// <summary>Until <paramref name="task"/> ends: each time the client starts a delay, lets exactly that much time pass.</summary>
    public async Task<T> RunAsync<T>(Task<T> task)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!task.IsCompleted)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException("The client neither finished nor waited within 60 s");
            var created = _created.WaitAsync(left);
            if (await Task.WhenAny(task, created) == created && _pending.TryDequeue(out var due)) Clock.Advance(due);
        }
        return await task;
    }
}
