using System.Text.RegularExpressions;

namespace FaceSwap.Local;

/// <summary>
/// The idname syntax of setid and swapid: faces from left to right separated by commas, <c>_</c> skips
/// a face, <c>a+b</c> mixes ids into one face; setid also takes <c>--greedy</c>/<c>--nogreedy</c>.
/// </summary>
public sealed partial record IdSelection(IReadOnlyList<IReadOnlyList<string>?> Faces, string Text)
{
    public const int MaxNameLength = 10;

    [GeneratedRegex("^[A-Za-z0-9]{1,10}$")]
    private static partial Regex NamePattern();

    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    public IEnumerable<string> Names => Faces.Where(f => f is not null).SelectMany(f => f!).Distinct(StringComparer.OrdinalIgnoreCase);

    public static IdSelection Parse(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length == 0) throw Invalid(text, "it is empty");
        var faces = new List<IReadOnlyList<string>?>();
        foreach (var part in trimmed.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part == "_") { faces.Add(null); continue; }
            var names = part.Split('+', StringSplitOptions.TrimEntries);
            foreach (var n in names)
                if (!IsValidName(n)) throw Invalid(text, $"'{n}' is not an idname (1–{MaxNameLength} letters or digits)");
            faces.Add(names);
        }
        if (faces.All(f => f is null)) throw Invalid(text, "every face is skipped");
        return new IdSelection(faces, trimmed);
    }

    private static FaceSwapException Invalid(string text, string why) => new(FaceSwapError.InvalidRequest,
        "Invalid idname", $"'{text}' is not a valid id selection: {why}. Use names like me, a,b (faces left to right), _ to skip a face, a+b to mix.");
}
