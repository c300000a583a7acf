namespace FaceSwap.Sandbox;

/// <summary>
/// Where the sandbox's saved state lives: one JSON document and the files it names by the SHA-256 of their content
/// (<see cref="SandboxStateFolder"/> on disk; the server supplies one in its PostgreSQL database). The sandbox calls
/// it from one caller at a time.
/// </summary>
public interface ISandboxStateStore : IDisposable
{
    /// <summary>Where the state is, for a log line: never a password.</summary>
    string Location { get; }

    /// <summary>The last saved state with every file it names; null when nothing was saved yet.</summary>
    SandboxStateDocument? Load();

    /// <summary>
    /// Replaces the saved state with <paramref name="state"/>, all or nothing, and returns once it is durable. Each file
    /// is written once (one already stored under its name is not written again); stored files the new document no
    /// longer names are removed.
    /// </summary>
    void Save(SandboxStateDocument state);
}

/// <summary>The saved state as stored: the JSON document, and each file it names by its lower-case hex SHA-256.</summary>
public sealed record SandboxStateDocument(string Json, IReadOnlyDictionary<string, byte[]> Blobs);
