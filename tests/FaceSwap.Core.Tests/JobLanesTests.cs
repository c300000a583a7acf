using FaceSwap.Core.Dispatch;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Tests.Infrastructure;

namespace FaceSwap.Core.Tests;

/// <summary>Claimed jobs waiting for a slot: oldest first within a lane, lanes in turn, one budget per kind of engine.</summary>
public sealed class JobLanesTests
{
    private readonly DateTimeOffset _t0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private ClaimedJob Claim(long user, string channel, int second) => new(TestJobs.New(user, channel, _t0.AddSeconds(second)), 1, 3);

    [Fact]
    public void Lanes_sharing_a_budget_take_turns_and_each_runs_its_own_jobs_in_order()
    {
        var lanes = new JobLanes(new Dictionary<string, int> { ["shared"] = 1 });
        var flood = Enumerable.Range(0, 4).Select(i => Claim(1, "flood", i)).ToList();
        var other = Claim(2, "other", 10);
        foreach (var job in flood.AsEnumerable().Reverse()) lanes.Add(job, "shared");
        lanes.Add(other, "shared");

        var order = new List<string>();
        while (lanes.TryTake(out var next, out var budget))
        {
            order.Add(next.Job.Id);
            Assert.False(lanes.TryTake(out _, out _)); // one slot: nothing more until it is free
            lanes.Finished(budget);
        }

        Assert.Equal([flood[0].Job.Id, other.Job.Id, flood[1].Job.Id, flood[2].Job.Id, flood[3].Job.Id], order);
    }

    [Fact]
    public void A_full_budget_does_not_hold_up_another()
    {
        var lanes = new JobLanes(new Dictionary<string, int> { ["shared"] = 2, ["local"] = 1 });
        for (var i = 0; i < 5; i++) lanes.Add(Claim(1, "flood", i), "shared");
        Assert.True(lanes.TryTake(out _, out _));
        Assert.True(lanes.TryTake(out _, out _));
        Assert.False(lanes.TryTake(out _, out _));

        var local = Claim(1, "local", 20);
        lanes.Add(local, "local");
        Assert.True(lanes.TryTake(out var next, out var budget));
        Assert.Equal((local.Job.Id, "local"), (next.Job.Id, budget));
    }

    [Fact]
    public void A_removed_job_is_neither_handed_out_nor_listed()
    {
        var lanes = new JobLanes(new Dictionary<string, int> { ["shared"] = 4 });
        var a = Claim(1, "c", 0);
        var b = Claim(1, "c", 1);
        lanes.Add(a, "shared");
        lanes.Add(b, "shared");

        Assert.True(lanes.Remove(a.Job.Id));
        Assert.False(lanes.Remove(a.Job.Id));
        Assert.Equal([b.Job.Id], lanes.WaitingIds());
        Assert.True(lanes.TryTake(out var next, out _));
        Assert.Equal(b.Job.Id, next.Job.Id);
        Assert.False(lanes.TryTake(out _, out _));
        Assert.Empty(lanes.WaitingIds());
    }
}
