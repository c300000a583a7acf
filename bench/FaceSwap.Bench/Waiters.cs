using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace FaceSwap.Bench;

/// <summary>
/// Many clients held on one running job at once, half with <c>Prefer: wait=60</c> and half on the SSE stream:
/// the server's memory per waiter, the status read's ratio while they wait, and how long one change (a
/// cancel) takes to wake every one of them.
/// </summary>
public static class Waiters
{
    private sealed class Waiter(Socket socket, bool stream)
    {
        public Socket Socket { get; } = socket;
        public bool Stream { get; } = stream;
        public TaskCompletionSource FirstEvent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource<TimeSpan> Woken { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public static async Task RunAsync(FaceSwapServer server, HostedProcess baseline, StatusReads.Jobs jobs, Options options, Table table)
    {
        var count = options.Waiters;
        var clock = new Stopwatch();
        var memoryBefore = server.Process.ResidentBytes();
        var waiters = new List<Waiter>(count);
        var opened = Stopwatch.StartNew();
        var host = $"{server.BaseUrl.Host}:{server.BaseUrl.Port}";
        // Long-polls first, then streams: once every stream has its first event the earlier long-polls are held too.
        for (var i = 0; i < count; i++)
        {
            var stream = i >= count / 2;
            var path = stream ? $"/v1/faceswap/jobs/stream?jobid={jobs.Running}" : $"/v1/faceswap/jobs/?jobid={jobs.Running}";
            var request = Encoding.ASCII.GetBytes(
                $"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {FaceSwapServer.Token}\r\n" +
                (stream ? "" : "Prefer: wait=60\r\n") + "\r\n");
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(server.BaseUrl.Host, server.BaseUrl.Port);
            await socket.SendAsync(request);
            var waiter = new Waiter(socket, stream);
            waiters.Add(waiter);
            _ = ReadAsync(waiter, clock);
            if (i % 500 == 499) await Task.Delay(10); // let the server accept as we go
        }
        var streams = waiters.Where(w => w.Stream).Select(w => w.FirstEvent.Task);
        await Task.WhenAll(streams).WaitAsync(TimeSpan.FromSeconds(40));
        if (waiters.FirstOrDefault(w => w.Woken.Task.IsFaulted) is { } failed) throw failed.Woken.Task.Exception!.InnerException!;
        var heldAfter = opened.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(1));
        var early = waiters.Count(w => w.Woken.Task.IsCompleted);
        if (early > 0) throw new InvalidOperationException($"{early} waiters were answered before the change");
        var memoryHeld = server.Process.ResidentBytes();
        var perWaiter = (memoryHeld - memoryBefore) / (double)count;

        // The status read while they wait, against the baseline in the same window.
        var finishedUrl = server.JobUrl(jobs.Finished);
        var baselineUrl = new Uri(baseline.BaseUrl, $"/v1/faceswap/jobs/?jobid={jobs.Finished}").ToString();
        var (read, bare) = await StatusReads.CompareAsync(finishedUrl, baselineUrl, options with { Rounds = 1 });
        var stillHeld = waiters.Count(w => !w.Woken.Task.IsCompleted);

        // One change: cancelling the job wakes every waiter with the cancelled job.
        clock.Start();
        var cancelled = await server.Client.GetAsync($"jobs/cancel/?jobid={jobs.Running}");
        if (!cancelled.IsSuccessStatusCode) throw new InvalidOperationException($"cancel answered {(int)cancelled.StatusCode}");
        try
        {
            await Task.WhenAll(waiters.Select(w => w.Woken.Task)).WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"bench: not every waiter woke: {e.Message}");
        }
        var woken = waiters.Where(w => w.Woken.Task.IsCompletedSuccessfully).Select(w => w.Woken.Task.Result).ToArray();
        var last = woken.DefaultIfEmpty().Max();
        foreach (var waiter in waiters) waiter.Socket.Dispose();

        var ratio = read.RequestsPerSecond / bare.RequestsPerSecond;
        table.Add(new Row($"{count:N0} waiters held at once ({count / 2:N0} `Prefer: wait`, {count - count / 2:N0} SSE), server memory",
            $"{perWaiter / 1024:F1} KiB per waiter ({(memoryHeld - memoryBefore) / 1024.0 / 1024:F0} MiB RSS for all; opened in {heldAfter.TotalSeconds:F1} s)",
            "—", "—", "measured", stillHeld == count ? null : false));
        table.Add(new Row($"status read while the {count:N0} wait", read.Describe(), bare.Describe(), Table.Times(ratio),
            "ratio does not fall (≥ 0.50×)", ratio >= 0.5));
        table.Add(new Row("one change (cancel) wakes them all", $"{woken.Length:N0} of {count:N0} woken, the last {Table.Ms(last.TotalMilliseconds)} after the cancel was sent",
            "—", "—", "all woken", woken.Length == count));
    }

    /// <summary>Reads until the answer carries the cancelled job; a stream's first event marks it held.</summary>
    private static async Task ReadAsync(Waiter waiter, Stopwatch clock)
    {
        var buffer = new byte[4096];
        var seen = new StringBuilder();
        try
        {
            while (true)
            {
                var read = await waiter.Socket.ReceiveAsync(buffer);
                if (read == 0)
                {
                    waiter.Woken.TrySetException(new IOException("closed before the change"));
                    return;
                }
                seen.Append(Encoding.UTF8.GetString(buffer, 0, read));
                var text = seen.ToString();
                if (waiter.Stream && text.Contains("event: job")) waiter.FirstEvent.TrySetResult();
                if (text.Contains("\"status\":\"cancelled\""))
                {
                    waiter.Woken.TrySetResult(clock.Elapsed);
                    return;
                }
                if (!waiter.Stream && text.Contains("\"status\":"))
                {
                    waiter.Woken.TrySetException(new InvalidOperationException("answered before the change: " + text));
                    return;
                }
                if (seen.Length > 64 * 1024) seen.Remove(0, seen.Length - 8192);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            waiter.Woken.TrySetException(e);
        }
    }
}
