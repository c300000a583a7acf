using System.CommandLine;
using System.Text.Json;
using FaceSwap.Local;

namespace FaceSwap.Server.Cli;

/// <summary>
/// <c>models</c>: what the local engine finds on this server, with the full path of every file it looked at.
/// The API shows users the same report with file names only; where the files live is the operator's to know.
/// </summary>
public static class ModelsCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create(Func<LocalEngineOptions> options, TextWriter output)
    {
        var models = new Command("models", "Show which local-engine tier runs on this server, and every model file looked at (full paths)");
        models.SetAction(_ =>
        {
            var local = options();
            using var loaded = FaceModels.Load(new ModelLocations(local.ModelsDir, local.ShapePredictorPath, local.CascadesDir, local.UseCuda));
            output.WriteLine(JsonSerializer.Serialize(loaded.Capabilities, Json));
            return 0;
        });
        return models;
    }

    /// <summary>The local engine's settings as the server binds them, with the same default models folder (<c>&lt;data&gt;/models</c>).</summary>
    public static LocalEngineOptions Options(IConfiguration configuration, string dataDir)
    {
        var local = configuration.GetSection(LocalEngineOptions.Section).Get<LocalEngineOptions>() ?? new LocalEngineOptions();
        var defaultModels = Path.Combine(dataDir, "models");
        local.ModelsDir ??= Directory.Exists(defaultModels) ? defaultModels : null;
        return local;
    }
}
