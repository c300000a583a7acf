using FaceSwap.Core.Accounts;
using FaceSwap.Core.Jobs;

namespace FaceSwap.Discord.Tests;

/// <summary>Each verb end to end against the in-process sandbox.</summary>
public class EngineFlowTests(SandboxFixture fixture) : IClassFixture<SandboxFixture>
{
    [Fact]
    public async Task Saveid_then_swapid_downloads_the_result_image()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);

        var saved = await engine.SaveIdAsync("me");
        Assert.Contains("idname me created", saved.Completed!.Value.Message.Content);
        Assert.Empty(saved.Completed.Value.Files);
        Assert.Contains(saved.Reports, r => r.Status == JobStatus.Started);
        Assert.Contains("\"nonce\"", saved.SavedStates.First());

        var swapped = await engine.RunAsync(Verb.SwapId, new() { ["idname"] = "me --oldify 300" }, new() { ["image"] = Images.Face(2, 120) });

        Assert.True(swapped.Completed is not null, $"{swapped.Failed}");
        var (message, files) = swapped.Completed!.Value;
        Assert.Contains("[SaveID: 'me']", message.Content);
        Assert.NotNull(message.MessageId);
        Assert.NotNull(message.Timestamp);
        var file = Assert.Single(files);
        Assert.Equal("image/png", file.ContentType);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], file.Content.Take(4));
        Assert.Equal(120, file.Width);
        Assert.NotNull(file.UpstreamId);
        Assert.Contains(swapped.CreditsSeen, c => c.Total == 50 && c.Used >= 2);
        Assert.Equal(2, engine.Count("PUT", "/"));
    }

    [Fact]
    public async Task Listid_setid_delid_and_delall()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);
        await engine.SaveIdAsync("alice");
        await engine.SaveIdAsync("bob");

        var list = await engine.RunAsync(Verb.ListId);
        Assert.Contains("alice", list.Completed!.Value.Message.Content);
        Assert.Contains("bob", list.Completed.Value.Message.Content);

        var set = await engine.RunAsync(Verb.SetId, new() { ["idname"] = "alice" });
        Assert.Contains("set to `alice`", set.Completed!.Value.Message.Content);

        var deleted = await engine.RunAsync(Verb.DelId, new() { ["idname"] = "bob" });
        Assert.Contains("idname bob deleted", deleted.Completed!.Value.Message.Content);

        var missing = await engine.RunAsync(Verb.DelId, new() { ["idname"] = "bob" });
        Assert.Null(missing.Completed);
        Assert.Contains("not found", missing.Failed!.Value.Details);
        Assert.False(missing.Failed.Value.Moderated);

        var all = await engine.RunAsync(Verb.DelAll);
        Assert.Contains("All idnames deleted", all.Completed!.Value.Message.Content);
        Assert.Empty(fixture.Sandbox.State.FindChannel(engine.Account.ChannelId)!.SavedIds.Names);
    }

    [Fact]
    public async Task Swap_runs_saveid_swapid_and_deletes_the_one_off_id()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);

        var run = await engine.RunAsync(Verb.Swap, inputs: new()
        {
            ["saveid_image"] = Images.Face(3),
            ["swapid_image"] = Images.Face(4, 100),
        });

        Assert.True(run.Completed is not null, $"{run.Failed}");
        Assert.Single(run.Completed!.Value.Files);
        Assert.Matches(@"\[SaveID: 'fs[0-9a-f]{8}'\]", run.Completed.Value.Message.Content);
        Assert.Equal(4, engine.Count("POST", "/interactions")); // listid, saveid, swapid, delid: no default to put back
        var ids = fixture.Sandbox.State.FindChannel(engine.Account.ChannelId)!.SavedIds;
        Assert.Empty(ids.Names);
        Assert.Empty(ids.Defaults);
    }

    [Fact]
    public async Task Swap_leaves_the_channels_default_idname_as_it_was()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);
        await engine.SaveIdAsync("alice");
        await engine.SaveIdAsync("bob");
        await engine.RunAsync(Verb.SetId, new() { ["idname"] = "alice+bob,_" });
        var ids = fixture.Sandbox.State.FindChannel(engine.Account.ChannelId)!.SavedIds;
        Assert.Equal(["alice+bob", "_"], ids.Defaults);

        var run = await engine.RunAsync(Verb.Swap, inputs: new()
        {
            ["saveid_image"] = Images.Face(13),
            ["swapid_image"] = Images.Face(14),
        });

        Assert.True(run.Completed is not null, $"{run.Failed}");
        Assert.Equal(["alice+bob", "_"], ids.Defaults);
        Assert.Equal(["alice", "bob"], ids.Names.Order());
    }

    [Fact]
    public async Task INSwapper_swaps_onto_an_earlier_result_message()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);
        await engine.SaveIdAsync("me");
        await engine.RunAsync(Verb.SetId, new() { ["idname"] = "me" });
        var earlier = await engine.RunAsync(Verb.SwapId, new() { ["idname"] = "me" }, new() { ["image"] = Images.Face(5) });
        var target = earlier.Completed!.Value.Message.MessageId!;

        var run = await engine.RunAsync(Verb.InSwapper, new() { ["targetMessageId"] = target });

        Assert.True(run.Completed is not null, $"{run.Failed}");
        Assert.Single(run.Completed!.Value.Files);
        Assert.NotEqual(target, run.Completed.Value.Message.MessageId);
    }

    [Fact]
    public async Task Headshot_reports_the_submitted_job_then_completes_with_the_later_result()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);
        await engine.SaveIdAsync("me");
        await engine.RunAsync(Verb.SetId, new() { ["idname"] = "me" });
        var job = engine.Job(Verb.Headshot, new() { ["prompt"] = "a wizard" });
        job.ClientWaiting = false; // async: nobody holds a connection, the slow interval applies

        await engine.RunAsync(job);

        var submitted = job.Reports.Single(r => r.Message.Content?.Contains("Job Submitted") == true);
        // Reported started with the bot's first answer, as the vendor's API answers an async command.
        Assert.Equal(JobStatus.Started, submitted.Status);
        Assert.Equal(submitted, job.Reports.First());
        Assert.Matches(@"\[jobid: [0-9a-f]{32}\]", submitted.Message.Content);
        Assert.True(job.Completed is not null, $"{job.Failed}");
        Assert.Contains("Job Completed", job.Completed!.Value.Message.Content);
        Assert.Single(job.Completed.Value.Files);
        // What a restart needs to find the result was saved: the bot's job id.
        var jobId = System.Text.RegularExpressions.Regex.Match(submitted.Message.Content!, @"\[jobid: [0-9a-f]{32}\]").Value;
        Assert.Contains(job.SavedStates, s => s.Contains(jobId));
    }

    [Fact]
    public async Task Changebg_and_picsi_complete()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);

        var changebg = await engine.RunAsync(Verb.ChangeBg, new() { ["a_background_photo_of"] = "a beach" },
            new() { ["image"] = Images.Face(6) });
        Assert.True(changebg.Completed is not null, $"{changebg.Failed}");

        var picsi = await engine.RunAsync(Verb.Picsi, null, new()
        {
            ["source_image"] = Images.Face(7),
            ["target_image_gif_or_video"] = Images.Face(8),
        });
        Assert.True(picsi.Completed is not null, $"{picsi.Failed}");
        Assert.Contains("[Picsi.Ai]", picsi.Completed!.Value.Message.Content);
    }

    [Fact]
    public async Task A_refusal_without_image_fails_with_the_bots_words()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);

        var run = await engine.RunAsync(Verb.SwapId, new() { ["idname"] = "nobody" }, new() { ["image"] = Images.Face(9) });

        Assert.Null(run.Completed);
        Assert.Contains("nobody not found", run.Failed!.Value.Details);
        Assert.NotNull(run.Failed.Value.Message?.MessageId);
    }

    [Fact]
    public async Task An_incomplete_account_fails_without_calling_discord()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);
        var job = engine.Job(Verb.ListId);
        var execution = new FakeJobExecution(job.Job, job.Account with { DiscordToken = null });

        await engine.RunAsync(execution);

        Assert.Contains("POST /account/", execution.Failed!.Value.Details);
        Assert.Empty(engine.Requests);
    }

    [Fact]
    public async Task Command_ids_are_cached_and_refreshed_when_the_bot_republishes_them()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);
        await engine.RunAsync(Verb.ListId);
        await engine.RunAsync(Verb.ListId);
        Assert.Equal(1, engine.Count("GET", "application-command-index"));

        fixture.Sandbox.State.Commands.Republish();
        var run = await engine.RunAsync(Verb.ListId);

        Assert.True(run.Completed is not null, $"{run.Failed}");
        Assert.Equal(2, engine.Count("GET", "application-command-index"));
        Assert.Equal([204, 204, 400, 204], engine.Matching("POST", "/interactions").Select(r => r.Status));
    }

    [Fact]
    public async Task A_token_is_verified_with_users_me()
    {
        await using var engine = new EngineUnderTest(fixture.Sandbox);
        var discord = (DiscordEngine)engine.Engine;

        var user = await discord.VerifyTokenAsync(engine.Account.Token, CancellationToken.None);
        Assert.Equal(engine.Account.UserId, user.Id);

        fixture.Sandbox.Faults.InvalidateToken(engine.Account.Token);
        await Assert.ThrowsAsync<Rest.DiscordUnauthorizedException>(() => discord.VerifyTokenAsync(engine.Account.Token, CancellationToken.None));
    }
}
