using System.Buffers.Binary;
using System.Text;
using OpenCvSharp;

namespace FaceSwap.Local.Tests;

public class ImageFormatTests
{
    private static Mat Pattern()
    {
        var m = new Mat(48, 64, MatType.CV_8UC3);
        Cv2.Randu(m, Scalar.All(0), Scalar.All(255));
        return m;
    }

    [Theory]
    [InlineData(".png", ImageFormat.Png)]
    [InlineData(".jpg", ImageFormat.Jpeg)]
    [InlineData(".bmp", ImageFormat.Bmp)]
    [InlineData(".webp", ImageFormat.WebP)]
    [InlineData(".gif", ImageFormat.Gif)]
    public void Header_gives_format_and_size_without_decoding(string ext, ImageFormat format)
    {
        using var m = Pattern();
        Cv2.ImEncode(ext, m, out var bytes);
        var header = ImageHeader.TryRead(bytes);
        Assert.NotNull(header);
        Assert.Equal(format, header.Format);
        Assert.Equal((64, 48), (header.Width, header.Height));
    }

    [Fact]
    public void Png_label_is_an_itxt_xmp_chunk_with_a_valid_crc_and_pixels_are_untouched()
    {
        using var m = Pattern();
        Cv2.ImEncode(".png", m, out var png);
        var labelled = SyntheticMediaLabel.Apply(png);

        // Walk the chunks: the iTXt comes right after IHDR, its CRC checks out.
        var at = 8 + 12 + BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(8));
        var length = BinaryPrimitives.ReadInt32BigEndian(labelled.AsSpan(at));
        Assert.Equal("iTXt", Encoding.ASCII.GetString(labelled, at + 4, 4));
        var data = labelled.AsSpan(at + 8, length);
        Assert.StartsWith("XML:com.adobe.xmp\0\0\0\0\0", Encoding.UTF8.GetString(data));
        Assert.Contains("trainedAlgorithmicMedia", Encoding.UTF8.GetString(data));
        Assert.Equal(Crc32.Compute(labelled.AsSpan(at + 4, length + 4)), BinaryPrimitives.ReadUInt32BigEndian(labelled.AsSpan(at + 8 + length)));

        using var decoded = Cv2.ImDecode(labelled, ImreadModes.Color);
        Assert.Equal(0, Cv2.Norm(decoded, m, NormTypes.INF));
        Assert.False(SyntheticMediaLabel.IsPresent(png));
        Assert.True(SyntheticMediaLabel.IsPresent(labelled));
    }

    [Fact]
    public void Crc32_matches_the_png_check_value() =>
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));

    [Fact]
    public void Jpeg_label_is_an_app1_xmp_segment_after_jfif()
    {
        using var m = Pattern();
        Cv2.ImEncode(".jpg", m, out var jpg);
        using var plain = Cv2.ImDecode(jpg, ImreadModes.Color);
        var labelled = SyntheticMediaLabel.Apply(jpg);
        var app0 = jpg[3] == 0xE0 ? 2 + BinaryPrimitives.ReadUInt16BigEndian(jpg.AsSpan(4)) : 0;
        var at = 2 + app0;
        Assert.Equal(0xFF, labelled[at]);
        Assert.Equal(0xE1, labelled[at + 1]);
        Assert.StartsWith("http://ns.adobe.com/xap/1.0/\0", Encoding.ASCII.GetString(labelled, at + 4, 29));
        using var decoded = Cv2.ImDecode(labelled, ImreadModes.Color);
        Assert.Equal(0, Cv2.Norm(decoded, plain, NormTypes.INF));
        Assert.True(SyntheticMediaLabel.IsPresent(labelled));
    }

    [Fact]
    public void Gif_label_keeps_the_gif_readable()
    {
        using var m = Pattern();
        Cv2.ImEncode(".gif", m, out var gif);
        var labelled = SyntheticMediaLabel.Apply(gif);
        Assert.True(SyntheticMediaLabel.IsPresent(labelled));
        Assert.Equal(1, ImageHeader.TryRead(labelled)!.FrameCount);
        using var decoded = Cv2.ImDecode(labelled, ImreadModes.Color);
        Assert.Equal(64, decoded.Width);
    }

    [Fact]
    public void Saved_face_round_trips_through_bytes()
    {
        var face = new SavedFace("me", [1, 2, 3], [new Point2f(1.5f, 2.5f)], [new Point2f(3, 4), new Point2f(5, 6)], [0.6f, 0.8f]);
        var back = SavedFace.FromBytes(face.ToBytes());
        Assert.Equal(face.Name, back.Name);
        Assert.Equal(face.AlignedFacePng, back.AlignedFacePng);
        Assert.Equal(face.FivePoints, back.FivePoints);
        Assert.Equal(face.Landmarks68, back.Landmarks68);
        Assert.Equal(face.Embedding, back.Embedding);
        var noExtras = SavedFace.FromBytes((face with { Landmarks68 = null, Embedding = null }).ToBytes());
        Assert.Null(noExtras.Landmarks68);
        Assert.Null(noExtras.Embedding);
        Assert.Throws<InvalidDataException>(() => SavedFace.FromBytes("nope plus more bytes"u8.ToArray()));
    }

    [Theory]
    [InlineData("me", 1)]
    [InlineData("a,b", 2)]
    [InlineData("a, _ ,b", 3)]
    [InlineData("a+b,c", 2)]
    public void Id_selection_parses_faces_skips_and_mixes(string text, int faces)
    {
        var s = IdSelection.Parse(text);
        Assert.Equal(faces, s.Faces.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("_")]
    [InlineData("toolongname1")]
    [InlineData("a-b")]
    [InlineData("a,,b")]
    public void Bad_id_selections_are_refused(string text) =>
        Assert.Equal(FaceSwapError.InvalidRequest, Assert.Throws<FaceSwapException>(() => IdSelection.Parse(text)).Kind);
}
