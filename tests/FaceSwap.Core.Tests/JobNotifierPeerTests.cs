using FaceSwap.Core.Dispatch;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace FaceSwap.Core.Tests;

/// <summary>
/// Changes another node made reach this node's listeners through <see cref="JobNotifier.PublishFromPeer"/>: newer
/// states wake them, late, repeated or older ones do not, and none is counted here as this node's own change.
/// </summary>
public sealed class JobNotifierPeerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 1, 0, 0, TimeSpan.Zero);

    private static Job At(JobStatus status, double seconds, string? content = null) => new()
    {
        Id = "0123456789abcdef0123456789abcdef",
        UserId = 7,
        Verb = Verb.Headshot,
        Status = status,
        Created = T0,
        Updated = T0.AddSeconds(seconds),
        Channel = "c",
        Upstream = new UpstreamMessage(Content: content),
    };

    [Fact]
    public async Task A_peer_change_wakes_the_listeners_of_its_job_without_counting_as_this_nodes_change()
    {
        var notifier = new JobNotifier();
        var changedHere = new List<Job>();
        notifier.Changed += changedHere.Add;
        using var subscription = notifier.Subscribe(At(JobStatus.Created, 0).Id);
        Assert.True(notifier.IsWatched(At(JobStatus.Created, 0).Id, 7));
        Assert.False(notifier.IsWatched("another job", 8));
        Assert.Equal([At(JobStatus.Created, 0).Id], notifier.WatchedJobs());

        var next = subscription.NextAsync(CancellationToken.None);
        notifier.PublishFromPeer(At(JobStatus.Started, 1));

        Assert.Equal(JobStatus.Started, (await next.WaitAsync(TimeSpan.FromSeconds(10))).Status);
        Assert.Empty(changedHere);
    }

    [Fact]
    public async Task Late_repeated_or_older_peer_snapshots_do_not_wake_anyone()
    {
        var notifier = new JobNotifier();
        using var subscription = notifier.Subscribe(At(JobStatus.Created, 0).Id);
        notifier.Publish(At(JobStatus.Progress, 2, "50%"));
        Assert.Equal("50%", (await subscription.NextAsync(CancellationToken.None)).Upstream.Content);

        var next = subscription.NextAsync(CancellationToken.None);
        notifier.PublishFromPeer(At(JobStatus.Started, 1));               // older
        notifier.PublishFromPeer(At(JobStatus.Progress, 2, "50%"));       // the same state, read again
        notifier.PublishFromPeer(At(JobStatus.Progress, 2.0004, "50%"));  // the same, at the stores' millisecond precision
        notifier.PublishFromPeer(At(JobStatus.Progress, 2, "75%"));       // a newer message within the same millisecond
        Assert.Equal("75%", (await next.WaitAsync(TimeSpan.FromSeconds(10))).Upstream.Content);

        notifier.PublishFromPeer(At(JobStatus.Completed, 3));
        Assert.Equal(JobStatus.Completed, (await subscription.NextAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10))).Status);
        var afterTerminal = subscription.NextAsync(CancellationToken.None);
        notifier.PublishFromPeer(At(JobStatus.Failed, 4));                // terminal states are final
        notifier.Publish(At(JobStatus.Cancelled, 5));                     // a change made here always wakes
        Assert.Equal(JobStatus.Cancelled, (await afterTerminal.WaitAsync(TimeSpan.FromSeconds(10))).Status);
    }

    [Fact]
    public void A_job_nobody_listens_to_is_not_watched()
    {
        var notifier = new JobNotifier();
        var subscription = notifier.Subscribe("a");
        subscription.Dispose();
        notifier.PublishFromPeer(At(JobStatus.Started, 1));
        Assert.False(notifier.IsWatched("a", 7));
        Assert.Empty(notifier.WatchedJobs());
    }

    [Fact]
    public async Task A_peer_change_reaches_the_listeners_of_every_change_of_its_user_once()
    {
        var notifier = new JobNotifier();
        using var dashboard = notifier.SubscribeUser(7);
        Assert.True(notifier.IsWatched("any job of user 7", 7));
        Assert.Equal([7L], notifier.WatchedUsers());
        using var job = notifier.Subscribe(At(JobStatus.Created, 0).Id);

        notifier.PublishFromPeer(At(JobStatus.Started, 1));
        Assert.Equal(JobStatus.Started, Assert.Single(await dashboard.NextAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10))).Status);

        notifier.PublishFromPeer(At(JobStatus.Started, 1)); // read again: not a change
        notifier.PublishFromPeer(At(JobStatus.Started, 1) with { Id = "another job of user 7" });
        var next = Assert.Single(await dashboard.NextAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("another job of user 7", next.Id);
    }

    [Fact]
    public void A_wait_on_another_node_counts_as_a_waiting_client_until_it_is_no_longer_said()
    {
        using var db = new TestDatabase();
        var clock = new FakeTimeProvider(T0);
        var notifier = new JobNotifier();
        var waiters = new JobWaiters(db.JobStore(), notifier, clock);
        var watching = new List<string>();
        notifier.Watching += watching.Add;

        using (notifier.Subscribe("here"))
        using (notifier.Subscribe("here"))
        {
            Assert.Equal(["here"], watching); // said once, when the first listener came
        }
        notifier.WatchedElsewhere("there", clock.GetUtcNow() + TimeSpan.FromSeconds(30));
        Assert.True(waiters.IsWaiting("there"));
        clock.Advance(TimeSpan.FromSeconds(20));
        notifier.WatchedElsewhere("there", clock.GetUtcNow() + TimeSpan.FromSeconds(30)); // said again
        clock.Advance(TimeSpan.FromSeconds(20));
        Assert.True(waiters.IsWaiting("there"));
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.False(waiters.IsWaiting("there"));
        notifier.ForgetWatchedElsewhere(clock.GetUtcNow());
        Assert.False(notifier.IsWatchedElsewhere("there", T0));
    }
}
