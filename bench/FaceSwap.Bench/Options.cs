namespace FaceSwap.Bench;

/// <summary>How long and how hard each bench runs: the full run, or the smoke run that only checks each bench works.</summary>
public sealed record Options(bool Smoke, TimeSpan Duration, TimeSpan WarmUp, int Rounds, int Waiters, int[] ConcurrentJobs, int[] Channels, int LocalRuns)
{
    public static Options Full => new(false, TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(3), 2, 10_000, [1, 10, 100], [1, 10], 15);

    public static Options SmokeRun => new(true, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 1, 200, [2], [1], 1);
}
