using System.Text;
using System.Text.RegularExpressions;

namespace FaceSwap.Testing;

/// <summary>
/// The output of a command that runs in the test's process (the standalone sandbox): kept whole, safe to read while
/// the command still writes, so a test can wait for what it says, such as the address it bound.
/// </summary>
public sealed class WrittenLines : TextWriter
{
    private readonly StringBuilder _text = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_text) _text.Append(value);
    }

    public override void Write(string? value)
    {
        lock (_text) _text.Append(value);
    }

    public override string ToString()
    {
        lock (_text) return _text.ToString();
    }

    /// <summary>The first match of <paramref name="pattern"/> in what was written, once it is there; fails when <paramref name="command"/> ends first.</summary>
    public async Task<Match> WaitForAsync(Regex pattern, Task command, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            if (pattern.Match(ToString()) is { Success: true } match) return match;
            if (command.IsCompleted) throw new InvalidOperationException($"the command ended without writing {pattern}; it wrote: {this}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the command did not write {pattern} within {limit}; it wrote: {this}");
            await Task.Delay(20);
        }
    }
}
