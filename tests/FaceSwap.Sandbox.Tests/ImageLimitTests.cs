using System.Buffers.Binary;
using System.IO.Compression;
using static FaceSwap.Sandbox.Tests.TestDiscord;

namespace FaceSwap.Sandbox.Tests;

/// <summary>The bot decodes no image over the pixel limit (the local engine's FaceSwap:Local:MaxPixels default).</summary>
public sealed class ImageLimitTests
{
    private static Option Image(string name, byte[] bytes) => new(name, File: ("a.png", bytes));

    [Fact]
    public async Task A_30000_square_png_bomb_is_refused_from_its_header_without_decoding()
    {
        byte[] bomb = PngBomb(30_000, 30_000);
        Assert.InRange(bomb.Length, 1, 1_000_000); // small on the wire, 2.7 GB once decoded to BGR
        await using var discord = await StartAsync(Unlimited);
        long before = GC.GetTotalAllocatedBytes(precise: true);

        var reply = await discord.WaitForReplyAsync(await discord.SendAsync("saveid", new Option("idname", "bomb"), Image("image", bomb)));

        Assert.Equal(Bot.BotTexts.ImageTooLarge(40_000_000), (string)reply["content"]!);
        Assert.Empty(discord.Server.State.FindChannel(ChannelId)!.SavedIds.Names);
        Assert.Equal(50, discord.Server.State.Credits.Left(discord.UserId));
        // OpenCV's buffers are native; the managed side must not have grown by anything near the decoded size either.
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 200_000_000);
    }

    [Fact]
    public async Task The_limit_is_configurable_and_counts_width_times_height()
    {
        await using var discord = await StartAsync(o => { Unlimited(o); o.MaxPixels = 64 * 64; });
        var fits = await discord.WaitForReplyAsync(await discord.SendAsync("saveid", new Option("idname", "small"), Image("image", TestImages.Face(64, 64))));
        Assert.Equal("idname small created", (string)fits["content"]!);
        var over = await discord.WaitForReplyAsync(await discord.SendAsync("swapid", new Option("idname", "small"), Image("image", TestImages.Face(65, 64))));
        Assert.Equal(Bot.BotTexts.ImageTooLarge(64 * 64), (string)over["content"]!);
    }

    [Fact]
    public async Task Renderer_refuses_to_decode_an_image_over_its_limit()
    {
        var renderer = new Rendering.OpenCvBotImageRenderer(maxPixels: 1000);
        Assert.False(await renderer.HasFaceAsync(TestImages.Face(40, 40), CancellationToken.None));
        Assert.True(await renderer.HasFaceAsync(TestImages.Face(30, 30), CancellationToken.None));
        Assert.False(await new Rendering.OpenCvBotImageRenderer().HasFaceAsync(PngBomb(30_000, 30_000), CancellationToken.None));
    }

    /// <summary>A valid 1-bit greyscale PNG of the given size, all black: a few hundred kilobytes of zlib.</summary>
    private static byte[] PngBomb(int width, int height)
    {
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 1; // bit depth 1, colour type 0 (grey), deflate, no filter method, no interlace
        Chunk(png, "IHDR", header);
        using var raw = new MemoryStream();
        using (var zlib = new ZLibStream(raw, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[1 + (width + 7) / 8]; // filter byte 0, then the bits
            for (int y = 0; y < height; y++) zlib.Write(row);
        }
        Chunk(png, "IDAT", raw.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typed = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typed);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        png.Write(crc);
    }

    /// <summary>PNG's CRC-32 (ISO 3309), bit by bit: enough for three chunks.</summary>
    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
