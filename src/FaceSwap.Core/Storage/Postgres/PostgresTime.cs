namespace FaceSwap.Core.Storage.Postgres;

/// <summary>
/// Times in <c>timestamptz</c> columns: PostgreSQL keeps microseconds and Npgsql writes only UTC offsets, so a
/// time is brought to that form before it is written, and what a store returns equals what it reads back later.
/// </summary>
internal static class PostgresTime
{
    public static DateTimeOffset Stored(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        return utc.AddTicks(-(utc.Ticks % TimeSpan.TicksPerMicrosecond));
    }

    public static DateTimeOffset? Stored(DateTimeOffset? time) => time is { } t ? Stored(t) : null;

    public static DateTimeOffset Now() => Stored(DateTimeOffset.UtcNow);

    /// <summary>A <c>timestamptz</c> as Npgsql reads it (a UTC <see cref="DateTime"/>).</summary>
    public static DateTimeOffset Read(DateTime utc) => new(DateTime.SpecifyKind(utc, DateTimeKind.Utc));

    public static DateTimeOffset? Read(DateTime? utc) => utc is { } t ? Read(t) : null;
}
