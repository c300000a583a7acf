using System.Globalization;
using System.Text;

namespace FaceSwap.Bench;

/// <summary>One line of the results: a figure, the same-run baseline it is compared with, and the target.</summary>
public sealed record Row(string Figure, string FaceSwap, string Baseline, string Ratio, string Target, bool? Met);

/// <summary>The one markdown table the runner prints.</summary>
public sealed class Table
{
    private readonly List<Row> _rows = [];
    private readonly List<string> _notes = [];


    public void Add(Row row)
    {
        _rows.Add(row);
        Console.Error.WriteLine($"bench: {row.Figure}: {row.FaceSwap} vs {row.Baseline} ({row.Ratio})");
    }

    public void Note(string note) => _notes.Add(note);

    public string ToMarkdown(string machine)
    {
        var text = new StringBuilder();
        text.AppendLine($"Machine: {machine}.");
        text.AppendLine();
        text.AppendLine("| figure | FaceSwap | baseline (same run) | ratio | target | met |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var row in _rows)
        {
            var met = row.Met switch { true => "yes", false => "**no**", null => "—" };
            text.AppendLine($"| {row.Figure} | {row.FaceSwap} | {row.Baseline} | {row.Ratio} | {row.Target} | {met} |");
        }
        foreach (var note in _notes) text.AppendLine().Append(note).AppendLine();
        return text.ToString();
    }

    public static string Rate(double perSecond, string unit) => $"{perSecond.ToString("N0", CultureInfo.InvariantCulture)} {unit}";

    public static string Ms(double ms) => ms.ToString(ms < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture) + " ms";

    public static string Times(double ratio) => ratio.ToString("0.00", CultureInfo.InvariantCulture) + "×";
}
