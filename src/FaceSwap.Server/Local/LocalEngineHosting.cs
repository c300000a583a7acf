using System.Text.Json;
using System.Text.Json.Nodes;
using FaceSwap.Core.Accounts;
using FaceSwap.Core.Storage;
using FaceSwap.Local;
using FaceSwap.Server.Apis;

namespace FaceSwap.Server.Local;

/// <summary>inswapper on a local channel targets an earlier job's result by its messageId: the job store finds it.</summary>
public sealed class StoredResultLookup(IJobStore jobs, IBlobStore blobs) : ILocalResultLookup
{
    public async Task<byte[]?> FindResultAsync(long userId, string channel, string messageId, CancellationToken cancellationToken)
    {
        var job = await jobs.FindByMessageIdAsync(userId, channel, messageId, cancellationToken);
        return job?.Attachments.FirstOrDefault() is { } result ? await blobs.GetAsync(result.BlobId, cancellationToken) : null;
    }
}

/// <summary><c>GET /account/{channel}</c> of a local channel says which tier runs and why (which model files were found or refused).</summary>
public sealed class LocalCapabilitiesDescriber(LocalFaceSwapper swapper) : IAccountDescriber
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public JsonNode? Describe(Account account) =>
        account.Engine == EngineNames.Local ? JsonSerializer.SerializeToNode(swapper.Capabilities, Json) : null;
}
