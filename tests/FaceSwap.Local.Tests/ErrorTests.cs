using OpenCvSharp;

namespace FaceSwap.Local.Tests;

public class ErrorTests
{
    private static LocalFaceSwapper Swapper(long maxPixels = 40_000_000) => new(new LocalEngineOptions { MaxPixels = maxPixels }, Fixtures.Classical());

    private static byte[] Png(Mat m)
    {
        Cv2.ImEncode(".png", m, out var bytes);
        return bytes;
    }

    [SkippableFact]
    public async Task A_photo_without_a_face_fails_with_no_face()
    {
        using var swapper = Swapper();
        using var blank = new Mat(300, 400, MatType.CV_8UC3, new Scalar(40, 120, 200));
        var e = await Assert.ThrowsAsync<FaceSwapException>(() => swapper.SwapAsync(Fixtures.Bytes(Fixtures.Astronaut), Png(blank), default));
        Assert.Equal(FaceSwapError.NoFace, e.Kind);
        Assert.Contains("target image", e.Details);
    }

    [SkippableFact]
    public async Task More_faces_than_the_image_has_is_a_clear_error()
    {
        using var swapper = Swapper();
        var face = await swapper.CaptureAsync(Fixtures.Bytes(Fixtures.GroupPhoto(3)), "source", default);
        var e = await Assert.ThrowsAsync<FaceSwapException>(() => swapper.SwapIntoAsync(Fixtures.Bytes(Fixtures.Astronaut), [face, null, face], false, "image", default));
        Assert.Equal(FaceSwapError.TooManyFacesRequested, e.Kind);
        Assert.Contains("has 1 face", e.Details);
    }

    [SkippableFact]
    public async Task Bytes_that_are_not_an_image_are_unreadable()
    {
        using var swapper = Swapper();
        var e = await Assert.ThrowsAsync<FaceSwapException>(() => swapper.SwapAsync("GIF? no, plain text"u8.ToArray(), Fixtures.Bytes(Fixtures.Astronaut), default));
        Assert.Equal(FaceSwapError.UnreadableImage, e.Kind);
        // A valid header over damaged data is unreadable too, not a crash.
        var png = Fixtures.Bytes(Fixtures.Astronaut);
        var truncated = png.AsSpan(0, 200).ToArray();
        var e2 = await Assert.ThrowsAsync<FaceSwapException>(() => swapper.SwapAsync(truncated, png, default));
        Assert.Equal(FaceSwapError.UnreadableImage, e2.Kind);
    }

    [Fact]
    public void A_header_declaring_too_many_pixels_is_refused_before_decoding()
    {
        // 60000×60000 declared in IHDR, no pixel data at all: refused from the header alone.
        byte[] bomb = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R',
            0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60, 8, 2, 0, 0, 0, 0, 0, 0, 0];
        var codec = new ImageCodec(40_000_000);
        var e = Assert.Throws<FaceSwapException>(() => codec.Decode(bomb, "image"));
        Assert.Equal(FaceSwapError.ImageTooLarge, e.Kind);
        Assert.Contains("60000×60000", e.Details);
    }

    [SkippableFact]
    public void The_pixel_limit_applies_to_real_images_too()
    {
        var codec = new ImageCodec(512 * 512 - 1);
        var e = Assert.Throws<FaceSwapException>(() => codec.Decode(Fixtures.Bytes(Fixtures.Astronaut), "image"));
        Assert.Equal(FaceSwapError.ImageTooLarge, e.Kind);
        using var ok = new ImageCodec(512 * 512).Decode(Fixtures.Bytes(Fixtures.Astronaut), "image");
        Assert.Equal(512, ok.Width);
    }
}
