using System.CommandLine;
using FaceSwap.Core;
using FaceSwap.Core.Storage;
using FaceSwap.Server.Cli;
using FaceSwap.Server.Hosting;

// `users …` administers users on the database, `models` shows the local engine's model files; anything else starts the server.
if (args.Length > 0 && args[0] is "users" or "models")
{
    var configuration = new ConfigurationBuilder()
        .AddJsonFile("appsettings.json", optional: true)
        .AddEnvironmentVariables()
        .AddCommandLine(args.Where(IsSetting).ToArray())
        .Build();
    var dataDir = ServerHost.DataDir(configuration);
    var root = new RootCommand("FaceSwap server administration")
    {
        UsersCommand.Create(() => UsersCommand.OpenStorage(configuration).GetRequiredService<IUserStore>(), Console.Out),
        ModelsCommand.Create(() => ModelsCommand.Options(configuration, dataDir), Console.Out),
    };
    return await root.Parse(args.Where(a => !IsSetting(a)).ToArray()).InvokeAsync();
}

// `sandbox …` runs the Discord emulator on its own (docs/sandbox.md).
if (args.Length > 0 && args[0] == "sandbox")
    return await SandboxHosting.RunStandaloneAsync(args[1..], Console.Out, Console.Error, CancellationToken.None);

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

// The settings among the administration commands' arguments: the server's own keys and its database's connection string.
static bool IsSetting(string arg) => arg.StartsWith("--FaceSwap", StringComparison.Ordinal) || arg.StartsWith("--ConnectionStrings", StringComparison.Ordinal);

public partial class Program;
