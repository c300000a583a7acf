using Microsoft.Playwright;

namespace FaceSwap.Dashboard.Tests.Infrastructure;

/// <summary>Screenshots kept as test artifacts in artifacts/test-results/screenshots/ under the repository root.</summary>
public static class Screenshots
{
    public static string Folder { get; } = Path.Combine(RepositoryRoot(), "artifacts", "test-results", "screenshots");

    public static async Task SaveAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Folder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Folder, name + ".png"), FullPage = true });
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FaceSwap.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"No FaceSwap.slnx above {AppContext.BaseDirectory}");
    }
}
