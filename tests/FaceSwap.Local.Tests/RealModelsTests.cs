using Microsoft.Extensions.Configuration;
using Xunit.Abstractions;

namespace FaceSwap.Local.Tests;

/// <summary>
/// Opt-in: runs the real InsightFace weights when FaceSwap__Local__ModelsDir (or FaceSwap:Local:ModelsDir)
/// names a folder with det_10g, w600k_r50 and inswapper_128. Skipped, with the reason, otherwise.
/// </summary>
public class RealModelsTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task Real_insightface_models_swap_the_astronaut()
    {
        var config = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        var dir = config["FaceSwap:Local:ModelsDir"];
        Skip.If(string.IsNullOrEmpty(dir), "FaceSwap__Local__ModelsDir is not set: the real InsightFace models were not tested");
        using var swapper = new LocalFaceSwapper(new LocalEngineOptions { ModelsDir = dir });
        foreach (var r in swapper.Capabilities.Models) output.WriteLine(r.ToString());
        Assert.Equal(FaceModels.TierInsightFace, swapper.Capabilities.Tier);
        var source = Fixtures.Bytes(Fixtures.GroupPhoto(3));
        var target = Fixtures.Bytes(Fixtures.Astronaut);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var result = await swapper.SwapAsync(source, target, default);
        output.WriteLine($"insightface swap: {sw.ElapsedMilliseconds} ms");
        Assert.True(SyntheticMediaLabel.IsPresent(result.Content));
        Assert.NotEqual(target, result.Content);
    }
}
