using FaceSwap.Core.Engines;
using FaceSwap.Core.Jobs;

namespace FaceSwap.Core.Dispatch;

public sealed class EngineRegistry(IEnumerable<IEngine> engines)
{
    private readonly Dictionary<string, IEngine> _byName = engines.ToDictionary(e => e.Name, StringComparer.OrdinalIgnoreCase);

    public IEngine? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Whether an engine of that name runs here and has the command (<see cref="IEngine.SupportedVerbs"/>).</summary>
    public bool Supports(string engine, Verb verb) => Find(engine)?.SupportedVerbs.Contains(verb) == true;
}
