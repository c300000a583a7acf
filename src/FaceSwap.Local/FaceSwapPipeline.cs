using OpenCvSharp;

namespace FaceSwap.Local;

/// <summary>A face found and measured: box, five alignment points, and 68 landmarks when dlib is present.</summary>
public sealed record AnalysedFace(Rect2f Box, float Score, Point2f[] FivePoints, Point2f[]? Landmarks68)
{
    public float Area => Box.Width * Box.Height;
}

/// <summary>
/// Detect → landmarks → swap, on whichever tier <see cref="FaceModels"/> allows: inswapper_128 when its
/// models are present, the classical triangle warp otherwise.
/// </summary>
public sealed class FaceSwapPipeline(FaceModels models)
{
    public FaceModels Models { get; } = models;
    public ClassicalFaceSwapper Classical { get; init; } = new();
    public string Tier => Models.Capabilities.Tier;

    private void RequireTier()
    {
        if (Tier == FaceModels.TierNone)
            throw new FaceSwapException(FaceSwapError.ModelMissing, "The local engine has no face models", Models.Capabilities.Reason);
    }

    public IReadOnlyList<AnalysedFace> Analyse(Mat image)
    {
        RequireTier();
        var faces = new List<AnalysedFace>();
        foreach (var d in Models.Detector!.Detect(image))
        {
            var l68 = Models.Landmarker?.Locate(image, d);
            var five = d.FivePoints ?? (l68 is null ? null : FaceAlignment.FivePointsFrom68(l68));
            if (five is null) continue;
            faces.Add(new AnalysedFace(d.Box, d.Score, five, l68));
        }
        return WithoutDuplicates(faces).OrderBy(f => f.Box.X).ToList();
    }

    /// <summary>
    /// Two boxes that are far apart by IoU can still hold the same face (Haar draws one box on the face
    /// and a larger one over face and shoulders): the landmarks of both then cover much of the same face,
    /// and swapping both pastes it twice, the second time askew. Of faces whose landmark boxes overlap by
    /// more than <see cref="DuplicateOverlap"/> of the smaller,
    /// the one whose detector box agrees best with its own landmarks is kept.
    /// </summary>
    /// <summary>Share of the smaller landmark box two faces may share and still be two faces (cheek to cheek in a group photo is well below).</summary>
    public const float DuplicateOverlap = 0.35f;

    private static IEnumerable<AnalysedFace> WithoutDuplicates(List<AnalysedFace> faces)
    {
        static Rect2f Extent(AnalysedFace f)
        {
            var points = f.Landmarks68 ?? f.FivePoints;
            float x0 = points.Min(p => p.X), y0 = points.Min(p => p.Y), x1 = points.Max(p => p.X), y1 = points.Max(p => p.Y);
            return new Rect2f(x0, y0, x1 - x0, y1 - y0);
        }
        static float SharedShare(Rect2f a, Rect2f b)
        {
            var w = Math.Min(a.Right, b.Right) - Math.Max(a.Left, b.Left);
            var h = Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Top, b.Top);
            return w <= 0 || h <= 0 ? 0 : w * h / Math.Min(a.Width * a.Height, b.Width * b.Height);
        }
        var kept = new List<(AnalysedFace Face, Rect2f Extent)>();
        foreach (var face in faces.Select(f => (Face: f, Extent: Extent(f))).OrderByDescending(f => DetectedFace.IoU(f.Face.Box, f.Extent)))
            if (kept.All(k => SharedShare(k.Extent, face.Extent) <= DuplicateOverlap))
                kept.Add(face);
        return kept.Select(k => k.Face).ToList();
    }

    /// <summary>The most prominent face of an image, kept as a <see cref="SavedFace"/> (name left empty).</summary>
    public SavedFace Capture(Mat image, string what)
    {
        var faces = Analyse(image);
        if (faces.Count == 0) throw FaceSwapException.NoFace(what);
        var face = faces.MaxBy(f => f.Area)!;
        return Capture(image, face);
    }

    public SavedFace Capture(Mat image, AnalysedFace face)
    {
        using var m = Similarity.Estimate(face.FivePoints, SavedFaceTemplate);
        using var aligned = new Mat();
        Cv2.WarpAffine(image, aligned, m, new Size(SavedFace.AlignedSize, SavedFace.AlignedSize), InterpolationFlags.Linear, BorderTypes.Replicate);
        var five = Transform(face.FivePoints, m);
        var l68 = face.Landmarks68 is null ? null : Transform(face.Landmarks68, m);
        var embedding = Models.ArcFace?.Embed(image, face.FivePoints);
        Cv2.ImEncode(".png", aligned, out var png);
        return new SavedFace("", png, five, l68, embedding);
    }

    /// <summary>
    /// The frame saved faces live in: the ArcFace template scaled by 1.6 about the centre of a 256²
    /// image, which leaves room for the jaw and brows that the classical warp needs.
    /// </summary>
    internal static readonly Point2f[] SavedFaceTemplate =
        FaceAlignment.ArcFaceTemplate112.Select(p => new Point2f((p.X - 56) * 1.6f + 128, (p.Y - 56) * 1.6f + 128)).ToArray();

    private static Point2f[] Transform(IEnumerable<Point2f> points, Mat m)
    {
        double a = m.At<double>(0, 0), b = m.At<double>(0, 1), c = m.At<double>(0, 2);
        double d = m.At<double>(1, 0), e = m.At<double>(1, 1), f = m.At<double>(1, 2);
        return points.Select(p => new Point2f((float)(a * p.X + b * p.Y + c), (float)(d * p.X + e * p.Y + f))).ToArray();
    }

    /// <summary>One face made of several (<c>a+b</c>): pixels warped to the mean shape and averaged, embeddings averaged.</summary>
    public SavedFace Mix(IReadOnlyList<SavedFace> faces)
    {
        if (faces.Count == 1) return faces[0];
        var images = faces.Select(f => Cv2.ImDecode(f.AlignedFacePng, ImreadModes.Color)).ToList();
        try
        {
            Point2f[] MeanOf(Func<SavedFace, Point2f[]> pick) => Enumerable.Range(0, pick(faces[0]).Length)
                .Select(i => new Point2f(faces.Average(f => pick(f)[i].X), faces.Average(f => pick(f)[i].Y))).ToArray();
            var five = MeanOf(f => f.FivePoints);
            Point2f[]? l68 = faces.All(f => f.Landmarks68 is not null) ? MeanOf(f => f.Landmarks68!) : null;
            using var sum = new Mat(SavedFace.AlignedSize, SavedFace.AlignedSize, MatType.CV_32FC3, Scalar.All(0));
            for (var i = 0; i < faces.Count; i++)
            {
                using var shaped = l68 is null
                    ? images[i].Clone()
                    : WarpToShape(images[i], faces[i].Landmarks68!, l68);
                using var f = new Mat();
                shaped.ConvertTo(f, MatType.CV_32FC3, 1.0 / faces.Count);
                Cv2.Add(sum, f, sum);
            }
            using var mixed = new Mat();
            sum.ConvertTo(mixed, MatType.CV_8UC3);
            Cv2.ImEncode(".png", mixed, out var png);
            float[]? embedding = faces.All(f => f.Embedding is not null)
                ? ArcFaceEmbedder.Normalise(Enumerable.Range(0, faces[0].Embedding!.Length).Select(i => faces.Sum(f => f.Embedding![i])).ToArray())
                : null;
            return new SavedFace(string.Join("+", faces.Select(f => f.Name)), png, five, l68, embedding);
        }
        finally
        {
            foreach (var image in images) image.Dispose();
        }
    }

    private static Mat WarpToShape(Mat image, Point2f[] from, Point2f[] to)
    {
        // Points outside the mean shape's hull (the frame corners) keep the background in place.
        var corners = new Point2f[] { new(0, 0), new(255, 0), new(0, 255), new(255, 255), new(128, 0), new(0, 128), new(255, 128), new(128, 255) };
        var f = from.Concat(corners).ToArray();
        var t = to.Concat(corners).ToArray();
        return TriangleWarp.Warp(image, f, t, TriangleWarp.Delaunay(t), image.Size());
    }

    /// <summary>
    /// Swaps faces of <paramref name="target"/> in place: <paramref name="sources"/> names one source per
    /// target face, left to right (null skips a face). A single source goes onto the most prominent face,
    /// or onto every face when <paramref name="greedy"/>. Returns the union of changed-pixel masks.
    /// </summary>
    public Mat SwapInto(Mat target, IReadOnlyList<SavedFace?> sources, bool greedy, string what, IReadOnlyList<AnalysedFace>? faces = null)
    {
        faces ??= Analyse(target);
        if (faces.Count == 0) throw FaceSwapException.NoFace(what);
        var wanted = sources.Count;
        if (wanted > faces.Count)
            throw new FaceSwapException(FaceSwapError.TooManyFacesRequested, "More faces asked for than the image has",
                $"{wanted} faces were asked for but the {what} has {faces.Count} face{(faces.Count == 1 ? "" : "s")} (faces count from left to right; use _ to skip one).");

        var plan = new List<(AnalysedFace Face, SavedFace Source)>();
        if (wanted == 1 && !greedy)
            plan.Add((faces.MaxBy(f => f.Area)!, sources[0] ?? throw new FaceSwapException(FaceSwapError.InvalidRequest, "Nothing to swap", "The only face was skipped with _.")));
        else
            for (var i = 0; i < faces.Count; i++)
            {
                var source = i < wanted ? sources[i] : greedy ? sources[^1] : null;
                if (source is not null) plan.Add((faces[i], source));
            }

        var changed = new Mat(target.Size(), MatType.CV_8UC1, Scalar.All(0));
        FaceSwapException? refused = null;
        var swapped = 0;
        foreach (var (face, source) in plan)
        {
            try
            {
                using var mask = SwapOne(target, face, source);
                Cv2.BitwiseOr(changed, mask, changed);
                swapped++;
            }
            // Greedy mode swaps whatever faces it can: a face turned too far stays as it was. A face the
            // request named by its place is refused with the reason.
            catch (FaceSwapException e) when (greedy && e.Kind == FaceSwapError.FaceTurnedTooFar)
            {
                refused ??= e;
            }
        }
        if (swapped == 0 && refused is not null)
        {
            changed.Dispose();
            throw refused;
        }
        return changed;
    }

    private Mat SwapOne(Mat target, AnalysedFace face, SavedFace source)
    {
        if (Tier == FaceModels.TierInsightFace)
        {
            var embedding = source.Embedding;
            if (embedding is null)
            {
                // Saved before the InsightFace models were installed: embed the kept aligned face now.
                using var aligned = Cv2.ImDecode(source.AlignedFacePng, ImreadModes.Color);
                embedding = Models.ArcFace!.Embed(aligned, source.FivePoints);
            }
            return Models.Swapper!.SwapInto(target, face.FivePoints, embedding);
        }
        if (source.Landmarks68 is null || face.Landmarks68 is null)
            throw new FaceSwapException(FaceSwapError.ModelMissing, "This face needs the InsightFace models",
                "The face was saved without 68-point landmarks (the dlib model was missing then), so only the InsightFace tier can use it.");
        using var sourceImage = Cv2.ImDecode(source.AlignedFacePng, ImreadModes.Color);
        return Classical.SwapInto(target, sourceImage, source.Landmarks68, face.Landmarks68);
    }
}
