using FaceSwap.Core.Accounts;
using FaceSwap.Core.Engines;
using FaceSwap.Core.Jobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FaceSwap.Local.Tests;

/// <summary>An in-memory job run: records every transition the engine reports.</summary>
internal sealed class FakeExecution(Job job, Dictionary<string, byte[]> files) : IJobExecution
{
    public Job Job { get; private set; } = job;
    public Account Account { get; } = new() { UserId = job.UserId, Channel = job.Channel, Engine = EngineNames.Local };
    public bool ClientWaiting => true;
    public List<JobStatus> Reported { get; } = [];
    public UpstreamMessage? Final { get; private set; }
    public IReadOnlyList<ResultFile> Files { get; private set; } = [];
    public string? Error { get; private set; }
    public string? ErrorDetails { get; private set; }
    public JobStatus Status => Job.Status;

    public Task<InputContent> ReadInputAsync(string field, CancellationToken cancellationToken) =>
        Task.FromResult(new InputContent(field, "image/png", files[field]));

    public Task SaveEngineStateAsync(string state, CancellationToken cancellationToken)
    {
        Job = Job with { EngineState = state };
        return Task.CompletedTask;
    }

    public Task ReportAsync(JobStatus status, UpstreamMessage message, CancellationToken cancellationToken)
    {
        Assert.True(Job.Status.CanMoveTo(status), $"{Job.Status} → {status}");
        Reported.Add(status);
        Job = Job with { Status = status, Upstream = message };
        return Task.CompletedTask;
    }

    public Task CompleteAsync(UpstreamMessage message, IReadOnlyList<ResultFile> results, CancellationToken cancellationToken)
    {
        Assert.True(Job.Status.CanMoveTo(JobStatus.Completed));
        Job = Job with { Status = JobStatus.Completed, Upstream = message };
        Final = message;
        Files = results;
        return Task.CompletedTask;
    }

    public Task FailAsync(string error, string? errorDetails, UpstreamMessage? message, bool moderated, CancellationToken cancellationToken)
    {
        Job = Job with { Status = moderated ? JobStatus.Moderated : JobStatus.Failed };
        Final = message;
        Error = error;
        ErrorDetails = errorDetails;
        return Task.CompletedTask;
    }

    public Task SetAccountHealthAsync(AccountHealth health, string? detail, CancellationToken cancellationToken) => Task.CompletedTask;
    public Task SetCreditsAsync(Credits credits, CancellationToken cancellationToken) => Task.CompletedTask;
    public Task<string?> NewestRecordedMessageIdAsync(CancellationToken cancellationToken) => Task.FromResult<string?>(null);
}

internal sealed class FakeResults : ILocalResultLookup
{
    public Dictionary<string, byte[]> ByMessageId { get; } = [];
    public Task<byte[]?> FindResultAsync(long userId, string channel, string messageId, CancellationToken cancellationToken) =>
        Task.FromResult(ByMessageId.GetValueOrDefault(messageId));
}

public sealed class LocalEngineTests : IDisposable
{
    private readonly string _dir = InsightFaceDoubles.TempDir();
    private readonly FakeResults _results = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private LocalEngine Engine(LocalFaceSwapper? swapper = null) =>
        new(swapper ?? new LocalFaceSwapper(new LocalEngineOptions(), Fixtures.Classical()), new FileSavedFaceStore(_dir), _results);

    private static async Task<FakeExecution> Run(LocalEngine engine, Verb verb, Dictionary<string, string>? fields = null, Dictionary<string, byte[]>? files = null)
    {
        var job = new Job
        {
            Id = Guid.NewGuid().ToString("N"), UserId = 7, Verb = verb, Status = JobStatus.Created,
            Created = DateTimeOffset.UtcNow, Updated = DateTimeOffset.UtcNow, Channel = "1234567890123456789",
            Fields = fields ?? [],
        };
        var x = new FakeExecution(job, files ?? []);
        await engine.RunAsync(x, CancellationToken.None);
        return x;
    }

    [SkippableFact]
    public async Task Saveid_then_swapid_produces_a_labelled_result_and_the_bots_text()
    {
        var engine = Engine();
        var saved = await Run(engine, Verb.SaveId, new() { ["idname"] = "me" }, new() { ["image"] = Fixtures.Bytes(Fixtures.GroupPhoto(3)) });
        Assert.Equal(JobStatus.Completed, saved.Status);
        Assert.Equal("idname me created", saved.Final!.Content);
        Assert.Equal([JobStatus.Started], saved.Reported);

        var again = await Run(engine, Verb.SaveId, new() { ["idname"] = "me" }, new() { ["image"] = Fixtures.Bytes(Fixtures.GroupPhoto(3)) });
        Assert.Equal("idname me updated", again.Final!.Content);

        // A new engine over the same folder still knows the id: it is durable.
        var swapped = await Run(Engine(), Verb.SwapId, new() { ["idname"] = "me" }, new() { ["image"] = Fixtures.Bytes(Fixtures.Astronaut) });
        Assert.Equal(JobStatus.Completed, swapped.Status);
        Assert.Contains("[SaveID: 'me']", swapped.Final!.Content);
        var file = Assert.Single(swapped.Files);
        Assert.Equal("image/png", file.ContentType);
        Assert.Equal((512, 512), (file.Width, file.Height));
        Assert.True(SyntheticMediaLabel.IsPresent(file.Content));
        Assert.Matches("^[0-9]{17,20}$", swapped.Final.MessageId!);

        // inswapper on that result: as with the bot, the id just saved is the default.
        _results.ByMessageId[swapped.Final.MessageId!] = file.Content;
        var ins = await Run(engine, Verb.InSwapper, new() { ["targetMessageId"] = swapped.Final.MessageId! });
        Assert.Equal(JobStatus.Completed, ins.Status);
        Assert.Single(ins.Files);
        var unknown = await Run(engine, Verb.InSwapper, new() { ["targetMessageId"] = "1" });
        Assert.Equal("Unknown targetMessageId", unknown.Error);
    }

    [SkippableFact]
    public async Task Setid_listid_delid_delall_keep_the_channels_ids()
    {
        var engine = Engine();
        foreach (var name in new[] { "a", "b" })
            await Run(engine, Verb.SaveId, new() { ["idname"] = name }, new() { ["image"] = Fixtures.Bytes(Fixtures.Astronaut) });

        var set = await Run(engine, Verb.SetId, new() { ["idname"] = "a,_,a+b" });
        Assert.Equal("Current default ID(s) set to `a,_,a+b`", set.Final!.Content);
        var unknown = await Run(engine, Verb.SetId, new() { ["idname"] = "zz" });
        Assert.Equal(JobStatus.Failed, unknown.Status);
        Assert.Contains("'zz'", unknown.ErrorDetails);
        await Run(engine, Verb.SetId, new() { ["idname"] = "--greedy" });

        var list = await Run(engine, Verb.ListId);
        Assert.Contains("a, b", list.Final!.Content);
        Assert.Contains("`a,_,a+b`", list.Final.Content);
        Assert.Contains("greedy: on", list.Final.Content);

        Assert.Equal("idname a deleted", (await Run(engine, Verb.DelId, new() { ["idname"] = "a" })).Final!.Content);
        var missing = await Run(engine, Verb.DelId, new() { ["idname"] = "a" });
        Assert.Equal(JobStatus.Failed, missing.Status);
        Assert.Equal("All idnames deleted", (await Run(engine, Verb.DelAll)).Final!.Content);
        Assert.Contains("No idnames saved", (await Run(engine, Verb.ListId)).Final!.Content);
    }

    [SkippableFact]
    public async Task At_most_20_ids_per_channel()
    {
        var engine = Engine();
        var image = Fixtures.Bytes(Fixtures.Astronaut);
        // Store 20 directly (capturing once), then ask the engine for the 21st.
        using var swapper = new LocalFaceSwapper(new LocalEngineOptions(), Fixtures.Classical());
        var face = await swapper.CaptureAsync(image, "image", default);
        var store = new FileSavedFaceStore(_dir);
        for (var i = 0; i < 20; i++) await store.PutAsync(7, "1234567890123456789", face.WithName($"id{i}"), default);

        var over = await Run(engine, Verb.SaveId, new() { ["idname"] = "oneMore" }, new() { ["image"] = image });
        Assert.Equal(JobStatus.Failed, over.Status);
        Assert.Equal("Too many saved ids", over.Error);
        // Replacing an existing one is still allowed.
        var replace = await Run(engine, Verb.SaveId, new() { ["idname"] = "id3" }, new() { ["image"] = image });
        Assert.Equal("idname id3 updated", replace.Final!.Content);
    }

    [SkippableFact]
    public async Task Errors_end_the_job_failed_with_a_readable_reason()
    {
        var engine = Engine();
        var badName = await Run(engine, Verb.SaveId, new() { ["idname"] = "no spaces!" }, new() { ["image"] = Fixtures.Bytes(Fixtures.Astronaut) });
        Assert.Equal(JobStatus.Failed, badName.Status);
        Assert.Equal("Invalid idname", badName.Error);

        var noFace = await Run(engine, Verb.SaveId, new() { ["idname"] = "x" }, new() { ["image"] = new ImageCodec(1 << 20).Encode(InsightFaceDoubles.Gray(200, 200, 128), ImageFormat.Png).Content });
        Assert.Equal(FaceSwapException.NoFace("image").Message, noFace.Error);

        var oldify = await Run(engine, Verb.SwapId, new() { ["idname"] = "x --oldify 3" }, new() { ["image"] = Fixtures.Bytes(Fixtures.Astronaut) });
        Assert.Contains("--oldify", oldify.Error);

        foreach (var verb in new[] { Verb.ChangeBg, Verb.Headshot })
        {
            var generative = await Run(engine, verb);
            Assert.Equal(JobStatus.Failed, generative.Status);
            Assert.Contains("generative", generative.ErrorDetails);
        }
    }

    [SkippableFact]
    public async Task Swap_and_picsi_take_two_uploads()
    {
        var engine = Engine();
        var swap = await Run(engine, Verb.Swap, new() { ["saveid_idname"] = "tmp" },
            new() { ["saveid_image"] = Fixtures.Bytes(Fixtures.GroupPhoto(3)), ["swapid_image"] = Fixtures.Bytes(Fixtures.Astronaut) });
        Assert.Equal(JobStatus.Completed, swap.Status);
        Assert.Contains("[SaveID: 'tmp']", swap.Final!.Content);
        Assert.Empty(await new FileSavedFaceStore(_dir).ListAsync(7, "1234567890123456789", default)); // nothing kept

        var picsi = await Run(engine, Verb.Picsi, new() { ["options"] = "" },
            new() { ["source_image"] = Fixtures.Bytes(Fixtures.GroupPhoto(3)), ["target_image_gif_or_video"] = Fixtures.Bytes(Fixtures.Astronaut) });
        Assert.Equal(JobStatus.Completed, picsi.Status);
        Assert.True(SyntheticMediaLabel.IsPresent(Assert.Single(picsi.Files).Content));
    }

    [SkippableFact]
    public async Task A_restarted_run_answers_under_the_same_message_id()
    {
        var engine = Engine();
        var job = new Job
        {
            Id = "j1", UserId = 7, Verb = Verb.ListId, Status = JobStatus.Started, EngineState = "1234567890123456789",
            Created = DateTimeOffset.UtcNow, Updated = DateTimeOffset.UtcNow, Channel = "1234567890123456789",
        };
        var x = new FakeExecution(job, []);
        await engine.RunAsync(x, default);
        Assert.Equal(JobStatus.Completed, x.Status);
        Assert.Empty(x.Reported); // already started: no second "started"
        Assert.Equal("1234567890123456789", x.Final!.MessageId);
    }

    [Fact]
    public void AddLocalEngine_registers_the_engine_and_binds_its_options()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FaceSwap:DataDir"] = _dir,
            ["FaceSwap:Local:ModelsDir"] = "/models",
            ["FaceSwap:Local:MaxPixels"] = "1000",
        }).Build();
        var services = new ServiceCollection().AddLocalEngine(config);
        services.AddSingleton<ILocalResultLookup>(_results);
        using var provider = services.BuildServiceProvider();
        var engine = Assert.IsType<LocalEngine>(provider.GetRequiredService<IEngine>());
        Assert.Equal("local", engine.Name);
        var swapper = provider.GetRequiredService<LocalFaceSwapper>();
        Assert.Equal("/models", swapper.Options.ModelsDir);
        Assert.Equal(1000, swapper.Options.MaxPixels);
        Assert.Equal(Path.Combine(_dir, "local-faces"), swapper.Options.SavedFacesDir);
        Assert.Equal(Path.Combine(_dir, "local-faces"), ((FileSavedFaceStore)provider.GetRequiredService<ISavedFaceStore>()).Root);
    }
}
