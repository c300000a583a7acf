using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace FaceSwap.Bench;

/// <summary>A wrk run's figures: requests per second, the 99th percentile latency, and answers that were not 2xx/3xx.</summary>
public sealed record WrkResult(double RequestsPerSecond, double P99Ms, long Requests, long Errors)
{
    public string Describe(string unit = "req/s") => $"{Table.Rate(RequestsPerSecond, unit)}, p99 {Table.Ms(P99Ms)}";
}

/// <summary>Runs wrk (Debian's <c>wrk</c>, C and LuaJIT) as the load generator: one thread, N connections.</summary>
public static partial class Wrk
{
    public static async Task<WrkResult> RunAsync(string url, TimeSpan duration, int connections = 64, IEnumerable<string>? headers = null, string? script = null)
    {
        var start = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-t1", $"-c{connections}", $"-d{Math.Max(1, (int)duration.TotalSeconds)}s", "--latency", "--timeout", "10s" })
            start.ArgumentList.Add(arg);
        foreach (var header in headers ?? [])
        {
            start.ArgumentList.Add("-H");
            start.ArgumentList.Add(header);
        }
        if (script is not null)
        {
            start.ArgumentList.Add("-s");
            start.ArgumentList.Add(script);
        }
        start.ArgumentList.Add(url);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("wrk did not start");
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"wrk failed ({process.ExitCode}): {output}{error}");
        var rps = Number(RequestsPerSecond().Match(output), "Requests/sec", output);
        var p99 = P99().Match(output);
        if (!p99.Success) throw new InvalidOperationException($"wrk printed no 99th percentile: {output}");
        var p99Ms = double.Parse(p99.Groups[1].Value, CultureInfo.InvariantCulture) * p99.Groups[2].Value switch
        {
            "us" => 0.001, "ms" => 1, "s" => 1000, _ => throw new InvalidOperationException($"unit {p99.Groups[2].Value}"),
        };
        var requests = (long)Number(Requests().Match(output), "requests in", output);
        var errors = NonSuccess().Match(output) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        if (SocketErrors().Match(output) is { Success: true } s)
            errors += s.Groups.Values.Skip(1).Sum(g => long.Parse(g.Value, CultureInfo.InvariantCulture));
        return new WrkResult(rps, p99Ms, requests, errors);
    }

    private static double Number(Match match, string what, string output) =>
        match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : throw new InvalidOperationException($"wrk printed no {what}: {output}");

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline)]
    private static partial Regex P99();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex Requests();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex NonSuccess();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrors();
}
