using FaceSwap.Client.Tests.Infrastructure;
using OpenCvSharp;

namespace FaceSwap.Client.Tests;

/// <summary>Every endpoint of the API through the client, against the real server and its Discord sandbox.</summary>
public sealed class EndpointTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private FaceSwapClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        _client = _server.Client();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private static void AssertCompleted(Job job, string verb)
    {
        Assert.True(job.Status == JobStatus.Completed, $"{verb}: {job.Status} {job.Error} {job.ErrorDetails}");
        Assert.Equal(verb, job.Verb);
        Assert.Equal(TestServer.SandboxChannel, job.Channel);
        Assert.Equal(200, job.Code);
        Assert.NotNull(job.Created);
        Assert.True(job.Updated >= job.Created);
    }

    [Fact]
    public async Task The_blocking_commands_answer_with_their_finished_typed_jobs()
    {
        var face = TestServer.Face(seed: 1);
        var saved = await _client.SaveIdAsync("me", face, new CommandOptions { ReplyRef = "ref-1" });
        AssertCompleted(saved, Verbs.SaveId);
        Assert.Equal("me", saved.IdName);
        Assert.Equal(face.Content.Length, saved.Image!.Size);
        Assert.Equal("image/png", saved.Image.Type);
        Assert.Equal("ref-1", saved.ReplyRef);
        Assert.Contains("…", saved.Discord); // the job never holds the Discord token whole

        AssertCompleted(await _client.SaveIdAsync("you", TestServer.Face(seed: 2)), Verbs.SaveId);
        var set = await _client.SetIdAsync("me,you");
        AssertCompleted(set, Verbs.SetId);
        Assert.Equal("me,you", set.IdName);
        var listed = await _client.ListIdAsync();
        AssertCompleted(listed, Verbs.ListId);
        Assert.Contains("me", listed.Content);
        Assert.Contains("you", listed.Content);

        var target = TestServer.Face(128, seed: 3);
        var swapped = await _client.SwapIdAsync("me", target);
        AssertCompleted(swapped, Verbs.SwapId);
        var attachment = Assert.Single(swapped.Attachments!);
        Assert.StartsWith(_server.BaseUrl.ToString().TrimEnd('/') + "/v1/faceswap/files/", attachment.Url);
        var bytes = await _client.DownloadAsync(attachment);
        Assert.Equal(attachment.Size, bytes.Length);
        using (var decoded = Cv2.ImDecode(bytes, ImreadModes.Color))
            Assert.Equal((128, 128), (decoded.Width, decoded.Height));

        var inswapped = await _client.InSwapperAsync(swapped.MessageId!);
        AssertCompleted(inswapped, Verbs.InSwapper);
        Assert.Equal(swapped.MessageId, inswapped.TargetMessageId);
        Assert.NotEmpty(inswapped.Attachments!);

        var swap = await _client.SwapAsync(TestServer.Face(seed: 4), TestServer.Face(128, seed: 5), saveIdIdName: "src", swapIdIdName: "dst");
        AssertCompleted(swap, Verbs.Swap);
        Assert.Equal(("src", "dst"), (swap.SaveIdIdName, swap.SwapIdIdName));
        Assert.NotNull(swap.SaveIdImage);
        Assert.NotNull(swap.SwapIdImage);

        var picsi = await _client.PicsiAsync(TestServer.Face(seed: 6), TestServer.Face(128, seed: 7));
        AssertCompleted(picsi, Verbs.Picsi);
        Assert.NotNull(picsi.SourceImage);
        Assert.NotNull(picsi.TargetImageGifOrVideo);

        var deleted = await _client.DelIdAsync("you");
        AssertCompleted(deleted, Verbs.DelId);
        AssertCompleted(await _client.DelAllAsync(), Verbs.DelAll);
        var empty = await _client.ListIdAsync();
        Assert.DoesNotContain("you", empty.Content);
    }

    [Fact]
    public async Task The_async_commands_answer_started_and_end_completed()
    {
        // The bot's results come 10 s after its first replies (the shared server's 0.6 s could pass before a
        // loaded machine answered, and the answer would then show the job already completed).
        await using var server = await TestServer.StartAsync(("FaceSwap:Sandbox:AsyncResultDelay", "00:00:10"));
        using var client = server.Client();
        AssertCompleted(await client.SaveIdAsync("me", TestServer.Face()), Verbs.SaveId);
        var headshot = await client.HeadshotAsync("me, an astronaut", "--square");
        Assert.Equal(JobStatus.Started, headshot.Status);
        Assert.Equal("me, an astronaut", headshot.Prompt);
        Assert.Contains("Job Submitted [jobid:", headshot.Content);
        var changebg = await client.ChangeBgAsync("a beach at dawn", TestServer.Face(128, seed: 2));
        Assert.Equal(JobStatus.Started, changebg.Status);
        Assert.Equal("a beach at dawn", changebg.BackgroundPhotoOf);

        foreach (var (job, verb) in new[] { (headshot, Verbs.Headshot), (changebg, Verbs.ChangeBg) })
        {
            var done = await client.WaitForCompletionAsync(job.JobId);
            AssertCompleted(done, verb);
            Assert.NotEmpty(done.Attachments!);
        }
    }

    [Fact]
    public async Task Accounts_are_listed_read_saved_and_deleted()
    {
        var accounts = await _client.ListAccountsAsync();
        var sandbox = accounts[TestServer.SandboxChannel];
        Assert.Equal("discord", sandbox.Engine);
        Assert.Equal("ok", sandbox.Health);
        Assert.DoesNotContain("sandbox-user-token", sandbox.Discord);

        await _client.SaveAccountAsync("studio", AccountSettings.ForLocalEngine());
        var studio = await _client.GetAccountAsync("studio");
        Assert.Equal(("studio", "local"), (studio.Channel, studio.Engine));
        Assert.Equal(2, (await _client.ListAccountsAsync()).Count);

        var refused = await Assert.ThrowsAsync<FaceSwapApiException>(() =>
            _client.SaveAccountAsync("1200000000000000001", new AccountSettings { Server = "1200000000000000000", Channel = "1200000000000000001" }));
        Assert.Equal((400, "Required param discord is missing or empty"), (refused.Code, refused.Error));

        await _client.DeleteAccountAsync("studio");
        var gone = await Assert.ThrowsAsync<FaceSwapApiException>(() => _client.GetAccountAsync("studio"));
        Assert.Equal((404, "Configuration not found. To create configuration use faceswap/account/channel."), (gone.Code, gone.Error));
        Assert.Equal([TestServer.SandboxChannel], (await _client.ListAccountsAsync()).Keys);
        // No account at all is the API's 404, which the client lists as none.
        await _client.DeleteAccountAsync(TestServer.SandboxChannel);
        Assert.Empty(await _client.ListAccountsAsync());
    }

    [Fact]
    public async Task Jobs_are_read_listed_and_cancelled_with_typed_errors()
    {
        AssertCompleted(await _client.SaveIdAsync("me", TestServer.Face()), Verbs.SaveId);
        var job = await _client.HeadshotAsync("me, a mad king", options: new CommandOptions { RespondAsync = true });
        Assert.Equal(JobStatus.Created, job.Status);
        Assert.Contains(job.JobId, await _client.ListExecutingJobsAsync());
        Assert.Equal(job.JobId, (await _client.GetJobAsync(job.JobId)).JobId);

        var cancelled = await _client.CancelJobAsync(job.JobId);
        Assert.Equal((job.JobId, JobStatus.Cancelled), (cancelled.JobId, cancelled.Status));
        Assert.Equal(JobStatus.Cancelled, (await _client.GetJobAsync(job.JobId)).Status);
        Assert.DoesNotContain(job.JobId, await _client.ListExecutingJobsAsync());

        var again = await Assert.ThrowsAsync<FaceSwapApiException>(() => _client.CancelJobAsync(job.JobId));
        Assert.Equal(409, again.Code);
        Assert.Equal("cancelled", again.ErrorDetails);

        var missing = await Assert.ThrowsAsync<FaceSwapApiException>(() => _client.GetJobAsync("0123456789abcdef0123456789abcdef"));
        Assert.Equal((404, "Unable to locate job 0123456789abcdef0123456789abcdef"), (missing.Code, missing.Error));

        using var stranger = new FaceSwapClient(_server.BaseUrl, "not-a-token");
        var unauthorized = await Assert.ThrowsAsync<FaceSwapApiException>(() => stranger.GetJobAsync(job.JobId));
        Assert.Equal((401, "Unauthorized"), (unauthorized.Code, unauthorized.Error));

        var noField = await Assert.ThrowsAsync<FaceSwapApiException>(() => _client.SetIdAsync(""));
        Assert.Equal((400, "Required param idname is missing or empty"), (noField.Code, noField.Error));
    }

    [Fact]
    public async Task A_repeated_idempotency_key_returns_the_first_job()
    {
        var options = new CommandOptions { IdempotencyKey = "key-" + Guid.NewGuid().ToString("N") };
        var face = TestServer.Face();
        var first = await _client.SaveIdAsync("me", face, options);
        var second = await _client.SaveIdAsync("me", face, options);
        Assert.Equal(first.JobId, second.JobId);
        var other = await _client.SaveIdAsync("me", face);
        Assert.NotEqual(first.JobId, other.JobId);
    }
}
