using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace FaceSwap.Bench;

/// <summary>
/// The local engine's own bench (bench/FaceSwap.Local.Bench) run as a child process. Lines it prints that
/// are rows of this table (<c>| figure | FaceSwap | baseline | ratio | target | met |</c>) are taken as they
/// are; otherwise each case's whole swap is read from its per-stage report.
/// </summary>
public static partial class LocalEngine
{
    public static async Task RunAsync(string repo, Options options, Table table)
    {
        var dll = Path.Combine(repo, "bench/FaceSwap.Local.Bench/bin/Release/net10.0/FaceSwap.Local.Bench.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} is missing: build it in Release first (bench/run.sh does)");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = repo };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add(options.LocalRuns.ToString(CultureInfo.InvariantCulture));
        start.Environment["BENCH_TABLE"] = "1";
        if (options.Smoke) start.Environment["BENCH_SMOKE"] = "1";
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        while (await process.StandardOutput.ReadLineAsync() is { } line) lines.Add(line);
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            var why = string.Join('\n', lines.TakeLast(5)) + await errors;
            if (why.Contains("fixture", StringComparison.OrdinalIgnoreCase))
            {
                table.Note($"Local engine bench skipped: {why.Trim()}");
                return;
            }
            throw new InvalidOperationException($"the local engine bench failed ({process.ExitCode}): {why}");
        }

        var rows = lines.Where(l => l.StartsWith('|') && !l.StartsWith("|---") && l.Split('|').Length >= 8 && !l.Contains("| figure |")).ToList();
        foreach (var row in rows)
        {
            var cells = row.Split('|').Skip(1).Take(6).Select(c => c.Trim()).ToArray();
            table.Add(new Row(cells[0], cells[1], cells[2], cells[3], cells[4], cells[5] switch { "yes" => true, "no" or "**no**" => false, _ => null }));
        }
        if (rows.Count > 0) return;

        string? name = null;
        double baseline = 0;
        foreach (var line in lines)
        {
            if (CaseHeader().Match(line) is { Success: true } header)
            {
                name = header.Groups[1].Value;
                baseline = double.Parse(header.Groups[2].Value, CultureInfo.InvariantCulture);
            }
            else if (WholeSwap().Match(line) is { Success: true } whole && name is not null)
            {
                var ms = double.Parse(whole.Groups[1].Value, CultureInfo.InvariantCulture);
                table.Add(new Row($"local engine, whole swap, {name} (median of {options.LocalRuns})", Table.Ms(ms),
                    $"{Table.Ms(baseline)} (decode + encode)", Table.Times(ms / baseline), "—", null));
            }
        }
        if (name is null) throw new InvalidOperationException($"the local engine bench printed no figures: {string.Join('\n', lines)}");
    }

    [GeneratedRegex(@"^(.+) \(\d+ faces?\) — baseline decode\+encode ([\d.]+) ms")]
    private static partial Regex CaseHeader();

    [GeneratedRegex(@"^\s+whole swap\s+([\d.]+) ms")]
    private static partial Regex WholeSwap();
}
