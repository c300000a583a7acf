namespace FaceSwap.Server.Apis;

/// <summary>
/// The client's <c>Prefer</c> header (RFC 7240): a comma-separated list of preferences, each a token with an
/// optional <c>=value</c> and optional <c>;parameters</c>. Unknown preferences are ignored, as the RFC asks.
/// </summary>
public static class Preferences
{
    /// <summary>Each preference as (name, value); the value is null for a bare token.</summary>
    public static IEnumerable<(string Name, string? Value)> Of(HttpRequest request)
    {
        foreach (var header in request.Headers["Prefer"])
        {
            foreach (var preference in (header ?? "").Split(','))
            {
                var token = preference.Split(';', 2)[0];
                var parts = token.Split('=', 2, StringSplitOptions.TrimEntries);
                if (parts[0].Length == 0) continue;
                yield return (parts[0], parts.Length == 2 ? parts[1].Trim('"') : null);
            }
        }
    }

    /// <summary><c>Prefer: respond-async</c>: answer as soon as the job is stored (202), without waiting for it.</summary>
    public static bool RespondAsync(HttpRequest request) =>
        Of(request).Any(p => p.Name.Equals("respond-async", StringComparison.OrdinalIgnoreCase));

    /// <summary><c>Prefer: wait=N</c> (N seconds, at most <paramref name="max"/>); null when absent or not a positive number.</summary>
    public static TimeSpan? Wait(HttpRequest request, TimeSpan max)
    {
        foreach (var (name, value) in Of(request))
        {
            if (name.Equals("wait", StringComparison.OrdinalIgnoreCase) && int.TryParse(value, out var seconds) && seconds > 0)
                return TimeSpan.FromSeconds(Math.Min(seconds, max.TotalSeconds));
        }
        return null;
    }
}
