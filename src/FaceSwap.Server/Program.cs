using System.CommandLine;
using FaceSwap.Core;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Storage.Sqlite;
using FaceSwap.Server.Cli;
using FaceSwap.Server.Hosting;

// `users …` administers users on the database, `models` shows the local engine's model files; anything else starts the server.
if (args.Length > 0 && args[0] is "users" or "models")
{
    var configuration = new ConfigurationBuilder()
        .AddJsonFile("appsettings.json", optional: true)
        .AddEnvironmentVariables()
        .AddCommandLine(args.Where(a => a.StartsWith("--FaceSwap", StringComparison.Ordinal)).ToArray())
        .Build();
    var dataDir = ServerHost.DataDir(configuration);
    var root = new RootCommand("FaceSwap server administration")
    {
        UsersCommand.Create(() => new SqliteUserStore(new SqliteDatabase(Path.Combine(dataDir, "faceswap.db"))), Console.Out),
        ModelsCommand.Create(() => ModelsCommand.Options(configuration, dataDir), Console.Out),
    };
    return await root.Parse(args.Where(a => !a.StartsWith("--FaceSwap", StringComparison.Ordinal)).ToArray()).InvokeAsync();
}

// `sandbox …` runs the Discord emulator on its own (docs/sandbox.md).
if (args.Length > 0 && args[0] == "sandbox")
{
    await FaceSwap.Sandbox.SandboxServer.RunStandaloneAsync(args[1..]);
    return 0;
}

WebApplication app;
try
{
    app = await ServerHost.BuildAsync(args);
}
catch (StorageConfigurationException e)
{
    // A setting to fix, not a crash: say which, without a stack trace.
    Console.Error.WriteLine($"faceswap: cannot start: {e.Message}");
    return 2;
}
await app.RunAsync();
return 0;

public partial class Program;
