using FaceSwap.Core.Intake;

namespace FaceSwap.Server.Apis;

/// <summary>Reads a body or a part into memory, refusing it the moment it grows past its limit.</summary>
public static class BoundedRead
{
    public static async Task<byte[]> ReadAsync(Stream body, long max, Func<RefusedException> tooLarge, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > max) throw tooLarge();
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
