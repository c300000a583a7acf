using FaceSwap.Core.Engines;

namespace FaceSwap.Core.Dispatch;

public sealed class EngineRegistry(IEnumerable<IEngine> engines)
{
    private readonly Dictionary<string, IEngine> _byName = engines.ToDictionary(e => e.Name, StringComparer.OrdinalIgnoreCase);

    public IEngine? Find(string name) => _byName.GetValueOrDefault(name);
}
