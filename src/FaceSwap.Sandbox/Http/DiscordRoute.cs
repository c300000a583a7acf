namespace FaceSwap.Sandbox.Http;

/// <summary>
/// Endpoint metadata naming the emulated Discord route: its rate-limit bucket, the fault key, and which route
/// value is the top-level resource (channel or guild) that splits the bucket as Discord does.
/// </summary>
public sealed record DiscordRoute(string Name, string? MajorParameter = null);
