namespace FaceSwap.Sandbox.Discord;

/// <summary>
/// Makes Discord snowflakes: milliseconds since the Discord epoch (2015-01-01) in the top 42 bits, then worker,
/// process and a per-millisecond increment. Ids are strictly increasing across threads, because clients page
/// channel history with <c>after=</c> and the emulator orders messages by id exactly as Discord does.
/// </summary>
public sealed class SnowflakeGenerator
{
    public const long DiscordEpochMs = 1420070400000;
    private const int WorkerId = 1;
    private const int ProcessId = 0;

    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    private long _lastMs;
    private int _increment;

    public SnowflakeGenerator(TimeProvider clock) => _clock = clock;

    public ulong Next()
    {
        lock (_gate)
        {
            long ms = _clock.GetUtcNow().ToUnixTimeMilliseconds() - DiscordEpochMs;
            if (ms > _lastMs)
            {
                _lastMs = ms;
                _increment = 0;
            }
            else if (++_increment > 0xFFF)
            {
                // 4096 ids in one millisecond: borrow the next millisecond rather than repeat an id.
                _lastMs++;
                _increment = 0;
            }
            return ((ulong)_lastMs << 22) | ((ulong)WorkerId << 17) | ((ulong)ProcessId << 12) | (uint)_increment;
        }
    }

    /// <summary>Makes every later id larger than <paramref name="id"/>, even if the clock now reads earlier (a restart).</summary>
    public void NotBefore(ulong id)
    {
        lock (_gate)
        {
            long ms = (long)(id >> 22);
            if (ms > _lastMs || (ms == _lastMs && (int)(id & 0xFFF) > _increment))
            {
                _lastMs = ms;
                _increment = (int)(id & 0xFFF);
            }
        }
    }

    public static DateTimeOffset TimestampOf(ulong snowflake) =>
        DateTimeOffset.FromUnixTimeMilliseconds((long)(snowflake >> 22) + DiscordEpochMs);

    /// <summary>Snowflakes are sent as decimal strings; Discord rejects anything else.</summary>
    public static bool TryParse(string? text, out ulong value)
    {
        value = 0;
        return !string.IsNullOrEmpty(text) && text.Length <= 20 && text.All(char.IsAsciiDigit) && ulong.TryParse(text, out value);
    }
}
