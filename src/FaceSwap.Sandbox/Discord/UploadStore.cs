using System.Security.Cryptography;

namespace FaceSwap.Sandbox.Discord;

/// <summary>
/// Discord's two-step upload: <c>POST /channels/{id}/attachments</c> reserves an upload, the client PUTs the bytes
/// to the returned upload URL (a storage bucket at Discord, this sandbox here), and an interaction then names the
/// upload by its <c>upload_filename</c>. An upload is used once. Reservations expire and are capped in number.
/// </summary>
public sealed class UploadStore
{
    public sealed class PendingUpload
    {
        public required string UploadToken { get; init; }
        public required string UploadFilename { get; init; }
        public required string Filename { get; init; }
        public required string ChannelId { get; init; }
        public required string UserId { get; init; }
        public required DateTimeOffset ExpiresAt { get; init; }
        public byte[]? Bytes { get; set; }
    }

    private readonly Dictionary<string, PendingUpload> _byToken = [];
    private readonly Dictionary<string, PendingUpload> _byFilename = [];
    private readonly Lock _gate = new();
    private readonly TimeProvider _clock;
    private readonly TimeSpan _lifetime;
    private readonly int _capacity;

    public UploadStore(TimeProvider clock, TimeSpan lifetime, int capacity)
    {
        _clock = clock;
        _lifetime = lifetime;
        _capacity = capacity;
    }

    public PendingUpload Reserve(string channelId, string userId, string filename)
    {
        var upload = new PendingUpload
        {
            UploadToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)),
            // Discord's upload_filename is "<uuid>/<filename>"; the uuid part makes it unguessable.
            UploadFilename = $"{Guid.NewGuid()}/{filename}",
            Filename = filename,
            ChannelId = channelId,
            UserId = userId,
            ExpiresAt = _clock.GetUtcNow() + _lifetime,
        };
        lock (_gate)
        {
            DropExpired();
            while (_byToken.Count >= _capacity)
                Remove(_byToken.Values.MinBy(u => u.ExpiresAt)!);
            _byToken[upload.UploadToken] = upload;
            _byFilename[upload.UploadFilename] = upload;
        }
        return upload;
    }

    /// <summary>Stores the PUT body. False when the upload URL is unknown or expired.</summary>
    public bool Fill(string uploadToken, byte[] bytes)
    {
        lock (_gate)
        {
            DropExpired();
            if (!_byToken.TryGetValue(uploadToken, out var upload)) return false;
            upload.Bytes = bytes;
            return true;
        }
    }

    /// <summary>Takes a filled upload for use in an interaction; it cannot be used again.</summary>
    public PendingUpload? Peek(string uploadFilename, string channelId, string userId)
    {
        lock (_gate)
        {
            DropExpired();
            return _byFilename.TryGetValue(uploadFilename, out var upload)
                   && upload.Bytes is not null && upload.ChannelId == channelId && upload.UserId == userId
                ? upload
                : null;
        }
    }

    public void Consume(PendingUpload upload)
    {
        lock (_gate) Remove(upload);
    }

    public IReadOnlyList<PendingUpload> Export()
    {
        lock (_gate) return _byToken.Values.ToArray();
    }

    public void Restore(IEnumerable<PendingUpload> uploads)
    {
        lock (_gate)
        {
            _byToken.Clear();
            _byFilename.Clear();
            foreach (var upload in uploads)
            {
                _byToken[upload.UploadToken] = upload;
                _byFilename[upload.UploadFilename] = upload;
            }
        }
    }

    private void DropExpired()
    {
        var now = _clock.GetUtcNow();
        foreach (var upload in _byToken.Values.Where(u => u.ExpiresAt < now).ToList()) Remove(upload);
    }

    private void Remove(PendingUpload upload)
    {
        _byToken.Remove(upload.UploadToken);
        _byFilename.Remove(upload.UploadFilename);
    }
}
