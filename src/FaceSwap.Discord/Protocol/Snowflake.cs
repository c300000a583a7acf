namespace FaceSwap.Discord.Protocol;

/// <summary>
/// Discord ids: 64-bit numbers, milliseconds since 2015-01-01 in the top 42 bits. Nonces are made the
/// same way (the web client does so), and ids are compared as numbers, never as strings.
/// </summary>
public static class Snowflake
{
    public static readonly DateTimeOffset DiscordEpoch = new(2015, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static long lastNonce;

    /// <summary>A fresh snowflake for <paramref name="now"/>, unique within this process.</summary>
    public static string NewNonce(DateTimeOffset now)
    {
        var candidate = (long)(now - DiscordEpoch).TotalMilliseconds << 22;
        while (true)
        {
            var last = Interlocked.Read(ref lastNonce);
            var next = Math.Max(candidate, last + 1);
            if (Interlocked.CompareExchange(ref lastNonce, next, last) == last)
            {
                return next.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }
    }

    /// <summary>The smallest snowflake of a moment: as an <c>after</c> cursor it means "messages since then".</summary>
    public static string FromTime(DateTimeOffset time) =>
        ((ulong)Math.Max(0, (time - DiscordEpoch).TotalMilliseconds) << 22).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static DateTimeOffset ToTime(string id) =>
        ulong.TryParse(id, out var value) ? DiscordEpoch.AddMilliseconds(value >> 22) : DiscordEpoch;

    public static int Compare(string? a, string? b)
    {
        var x = Parse(a);
        var y = Parse(b);
        return x.CompareTo(y);
    }

    public static ulong Parse(string? id) => ulong.TryParse(id, out var value) ? value : 0;

    public static string Max(string a, string b) => Compare(a, b) >= 0 ? a : b;

    public static string Min(string a, string b) => Compare(a, b) <= 0 ? a : b;

    /// <summary>The id just below <paramref name="id"/>: an <c>after</c> cursor that still includes it.</summary>
    public static string Before(string id) => (Math.Max(1, Parse(id)) - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
