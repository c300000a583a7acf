using System.Runtime.InteropServices;

namespace FaceSwap.Bench;

/// <summary>What the figures were measured on: they mean little without it.</summary>
public static class Machine
{
    public static string Describe()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "unknown CPU"
            : "unknown CPU";
        var memory = File.Exists("/proc/meminfo")
            ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal"))?.Split(':', 2)[1].Trim() ?? "?"
            : "?";
        var memoryGiB = long.TryParse(memory.Split(' ')[0], out var kb) ? $"{kb / 1024.0 / 1024:F1} GiB" : memory;
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
        return $"{Environment.ProcessorCount} cores ({cpu}), {memoryGiB} memory, {RuntimeInformation.OSDescription}, " +
               $".NET {Environment.Version}, load average {load} at start";
    }
}
