using System.Text.RegularExpressions;

namespace FaceSwap.Sandbox.Bot;

public enum SaveOutcome { Created, Updated, LimitReached }

public sealed record SavedFace(string Name, byte[] Image);

public sealed record SavedFaceIdsSnapshot(IReadOnlyList<SavedFace> Faces, IReadOnlyList<string> Defaults, string PreferOption);

/// <summary>
/// The ids saved with /saveid in one channel, the default ids (/setid) and the prefer option, with the bot's
/// rules: at most 20 ids; names of letters and digits, at most 10 characters; a new id becomes the default.
/// </summary>
public sealed partial class SavedFaceIds
{
    public const int MaxIds = 20;
    public const string NoReplacement = "_";

    private readonly Dictionary<string, byte[]> _faces = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private List<string> _defaults = [];
    private readonly Lock _gate = new();

    public string PreferOption { get; private set; } = "--nogreedy";

    [GeneratedRegex("^[A-Za-z0-9]{1,10}$")]
    private static partial Regex IdNamePattern();

    public static bool IsValidName(string name) => IdNamePattern().IsMatch(name);

    public SaveOutcome Save(string name, byte[] face)
    {
        lock (_gate)
        {
            bool existed = _faces.ContainsKey(name);
            if (!existed && _faces.Count >= MaxIds) return SaveOutcome.LimitReached;
            _faces[name] = face;
            if (!existed) _order.Add(name);
            _defaults = [name];
            return existed ? SaveOutcome.Updated : SaveOutcome.Created;
        }
    }

    public bool Delete(string name)
    {
        lock (_gate)
        {
            if (!_faces.Remove(name)) return false;
            _order.Remove(name);
            _defaults = _defaults.Where(d => !d.Split('+').Contains(name)).ToList();
            return true;
        }
    }

    public void DeleteAll()
    {
        lock (_gate)
        {
            _faces.Clear();
            _order.Clear();
            _defaults = [];
        }
    }

    public byte[]? Face(string name)
    {
        lock (_gate) return _faces.GetValueOrDefault(name);
    }

    public IReadOnlyList<string> Names
    {
        get { lock (_gate) return _order.ToArray(); }
    }

    public IReadOnlyList<string> Defaults
    {
        get { lock (_gate) return _defaults.ToArray(); }
    }

    public void SetDefaults(IReadOnlyList<string> slots)
    {
        lock (_gate) _defaults = [.. slots];
    }

    public void SetPreferOption(string option)
    {
        lock (_gate) PreferOption = option;
    }

    /// <summary>Everything saved, for the sandbox's state file.</summary>
    public SavedFaceIdsSnapshot Export()
    {
        lock (_gate) return new(_order.Select(n => new SavedFace(n, _faces[n])).ToArray(), [.. _defaults], PreferOption);
    }

    /// <summary>Puts back what <see cref="Export"/> saved.</summary>
    public void Restore(SavedFaceIdsSnapshot snapshot)
    {
        lock (_gate)
        {
            _faces.Clear();
            _order.Clear();
            foreach (var face in snapshot.Faces)
            {
                _faces[face.Name] = face.Image;
                _order.Add(face.Name);
            }
            _defaults = [.. snapshot.Defaults];
            PreferOption = snapshot.PreferOption;
        }
    }

    /// <summary>The first saved face named in a list like "me,_,him" or "father+mother"; null when all slots are "_".</summary>
    public byte[]? FirstFace(IEnumerable<string> slots)
    {
        lock (_gate)
            return slots.SelectMany(s => s.Split('+'))
                .Where(n => n != NoReplacement)
                .Select(n => _faces.GetValueOrDefault(n))
                .FirstOrDefault(f => f is not null);
    }

    /// <summary>The names in a slot list that are neither saved nor "_".</summary>
    public IReadOnlyList<string> Unknown(IEnumerable<string> slots)
    {
        lock (_gate)
            return slots.SelectMany(s => s.Split('+')).Where(n => n != NoReplacement && !_faces.ContainsKey(n)).Distinct().ToArray();
    }
}
