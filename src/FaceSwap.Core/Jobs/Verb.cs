namespace FaceSwap.Core.Jobs;

/// <summary>The eleven commands of the FaceSwap API v1, spelled as the job's <c>verb</c> field spells them.</summary>
public enum Verb
{
    ListId,
    SaveId,
    SetId,
    DelId,
    DelAll,
    SwapId,
    Swap,
    InSwapper,
    Picsi,
    ChangeBg,
    Headshot,
}

public static class VerbNames
{
    private static readonly Dictionary<Verb, string> Names = new()
    {
        [Verb.ListId] = "faceswap-listid",
        [Verb.SaveId] = "faceswap-saveid",
        [Verb.SetId] = "faceswap-setid",
        [Verb.DelId] = "faceswap-delid",
        [Verb.DelAll] = "faceswap-delall",
        [Verb.SwapId] = "faceswap-swapid",
        [Verb.Swap] = "faceswap-swap",
        [Verb.InSwapper] = "faceswap-INSwapper",
        [Verb.Picsi] = "faceswap-picsi",
        [Verb.ChangeBg] = "faceswap-changebg",
        [Verb.Headshot] = "faceswap-headshot",
    };

    /// <summary>Every verb of the API (what an engine that runs them all supports).</summary>
    public static readonly IReadOnlySet<Verb> All = Enum.GetValues<Verb>().ToHashSet();

    private static readonly Dictionary<string, Verb> ByName = Names.ToDictionary(p => p.Value, p => p.Key);

    public static string ToWire(this Verb verb) => Names[verb];

    public static Verb Parse(string wire) => ByName.TryGetValue(wire, out var verb)
        ? verb
        : throw new ArgumentException($"Unknown verb {wire}", nameof(wire));

    /// <summary>
    /// Async verbs answer at once with the job; all others hold the request until the job is terminal
    /// (picsi only for still images: a GIF or video target makes it async, decided at submit time).
    /// </summary>
    public static bool IsAsync(this Verb verb) => verb is Verb.ChangeBg or Verb.Headshot;
}
