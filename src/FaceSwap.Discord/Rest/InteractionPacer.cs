using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace FaceSwap.Discord.Rest;

/// <summary>
/// Keeps a minimum gap between two interactions of the same account: bursts of commands are what gets
/// user tokens flagged, and the bot queues them anyway.
/// </summary>
public sealed class InteractionPacer(IOptionsMonitor<DiscordEngineOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Slot> slots = new();

    public async Task<IDisposable> AcquireAsync(string token, CancellationToken ct)
    {
        var slot = slots.GetOrAdd(token, _ => new Slot());
        await slot.Gate.WaitAsync(ct);
        try
        {
            var wait = slot.LastSent + options.CurrentValue.InteractionPacing - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, ct);
            }
        }
        catch
        {
            slot.Gate.Release();
            throw;
        }
        return new Release(slot, time);
    }

    private sealed class Slot
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public DateTimeOffset LastSent { get; set; } = DateTimeOffset.MinValue;
    }

    private sealed class Release(Slot slot, TimeProvider time) : IDisposable
    {
        private int done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref done, 1) == 0)
            {
                slot.LastSent = time.GetUtcNow();
                slot.Gate.Release();
            }
        }
    }
}
