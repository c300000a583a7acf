// The baseline every status-read figure is a ratio of: bare Kestrel answering GET /v1/faceswap/jobs/ with
// the same bytes the server answers for a finished job (read from the file named by --body), with no
// authentication, no database and no per-request rendering: the fastest this endpoint could be on this
// machine with ASP.NET Core routing.
// Run: dotnet FaceSwap.Bench.Baseline.dll --urls http://127.0.0.1:0 --body job.json (it prints the address it bound)

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();
// No logging, so the bound address (with --urls http://127.0.0.1:0, any free port) is said as the host's lifetime log says it.
app.Lifetime.ApplicationStarted.Register(() =>
{
    foreach (var url in app.Urls) Console.WriteLine($"Now listening on: {url}");
});
var body = File.ReadAllBytes(app.Configuration["body"] ?? throw new ArgumentException("--body <file> is required"));
app.MapGet("/v1/faceswap/jobs/", () => TypedResults.Bytes(body, "application/json; charset=utf-8"));
app.Run();
