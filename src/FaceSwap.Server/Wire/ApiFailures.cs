using System.Data.Common;
using Microsoft.AspNetCore.Diagnostics;

namespace FaceSwap.Server.Wire;

/// <summary>
/// A request that failed inside the server still gets the API's error shape, never a bare 500. A database that cannot
/// be reached or refuses the statement (PostgreSQL down, the SQLite file unwritable) is the operator's outage, not a
/// bug in the request: 503 with <c>Retry-After</c>, so clients retry it as they retry any 503. The exception itself
/// goes to the log (the framework's handler logs it); the answer names nothing of it.
/// </summary>
public static class ApiFailures
{
    /// <summary>How long a client is asked to wait before it tries again after a storage outage.</summary>
    public const int RetryAfterSeconds = 5;

    public static async Task WriteAsync(HttpContext http)
    {
        if (http.Features.Get<IExceptionHandlerFeature>()?.Error is DbException)
        {
            http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString();
            await ApiError.Result(503, "Storage unavailable", "The server's database did not answer; try again shortly.").ExecuteAsync(http);
            return;
        }
        await ApiError.Result(500, "Internal server error", "The server failed on this request; its log says why.").ExecuteAsync(http);
    }
}
