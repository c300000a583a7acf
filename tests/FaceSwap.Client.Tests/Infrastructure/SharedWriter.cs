using System.Text;

namespace FaceSwap.Client.Tests.Infrastructure;

/// <summary>A text writer a command writes to while the test reads what it wrote so far, and waits for some text to appear.</summary>
public sealed class SharedWriter : TextWriter
{
    private readonly StringBuilder _text = new();
    private readonly List<(Func<string, bool> Test, TaskCompletionSource Done)> _waiters = [];

    public override Encoding Encoding => Encoding.UTF8;

    public string Text
    {
        get { lock (_text) return _text.ToString(); }
    }

    public override void Write(char value) => Write(value.ToString());

    public override void Write(string? value)
    {
        if (value is null) return;
        lock (_text)
        {
            _text.Append(value);
            var text = _text.ToString();
            foreach (var waiter in _waiters.Where(w => w.Test(text)).ToList())
            {
                waiter.Done.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }

    /// <summary>Completes once the text written so far passes <paramref name="test"/> (at once if it already does).</summary>
    public Task WaitForAsync(Func<string, bool> test, TimeSpan limit)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_text)
        {
            if (test(_text.ToString())) return Task.CompletedTask;
            _waiters.Add((test, done));
        }
        return done.Task.WaitAsync(limit);
    }
}
