// The baseline every status-read figure is a ratio of: bare Kestrel answering GET /v1/faceswap/jobs/ with
// the same bytes the server answers for a finished job (read from the file named by --body), with no
// authentication, no database and no per-request rendering: the fastest this endpoint could be on this
// machine with ASP.NET Core routing.
// Run: dotnet FaceSwap.Bench.Baseline.dll --urls http://127.0.0.1:5081 --body job.json

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();
var body = File.ReadAllBytes(app.Configuration["body"] ?? throw new ArgumentException("--body <file> is required"));
app.MapGet("/v1/faceswap/jobs/", () => TypedResults.Bytes(body, "application/json; charset=utf-8"));
app.Run();
