namespace FaceSwap.Server.Hosting;

/// <summary>Registers the engines this server runs (and the in-process sandbox when it is enabled).</summary>
public static class EngineHosting
{
    public static Task AddEnginesAsync(WebApplicationBuilder builder) => Task.CompletedTask;
}
