namespace FaceSwap.Bench;

/// <summary>Discord requests per job on the sandbox (filled in below).</summary>
public static class DiscordCost
{
    public static Task RunAsync(string repo, string work, Options options, Table table) => Task.CompletedTask;
}
