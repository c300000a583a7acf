using System.Net;
using FaceSwap.Server.Tests.Infrastructure;
using Npgsql;

namespace FaceSwap.Server.Tests;

/// <summary>The database goes away under a running server: requests get the API's error shape, a 503 to retry, never a bare 500.</summary>
public sealed class StorageOutageTests
{
    [SkippableFact]
    public async Task Requests_while_the_database_is_gone_get_503_in_the_error_shape_and_nothing_of_the_connection()
    {
        Skip.IfNot(RunningServer.OnPostgres, "drops the server's PostgreSQL database: this run keeps the stores on SQLite (FACESWAP_TEST_STORAGE is not postgres)");
        await using var server = await RunningServer.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("jobs")).StatusCode);
        string database;
        await using (var connection = await server.OpenDatabaseAsync()) database = connection.Database;

        // The operator's outage: the database and every session on it gone at once.
        await using (var admin = new NpgsqlConnection(Environment.GetEnvironmentVariable("FACESWAP_TEST_POSTGRES")))
        {
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE {database} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }

        foreach (var request in new[] { "jobs/?jobid=0123456789abcdef0123456789abcdef", "jobs/list", "account" })
        {
            using var response = await server.Client.GetAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{request}: {(int)response.StatusCode} {body}");
            var error = await response.JsonAsync();
            Assert.Equal("Storage unavailable", (string?)error["error"]);
            Assert.Equal(503, (int)error["code"]!);
            Assert.NotNull(response.Headers.RetryAfter);
            Assert.DoesNotContain(database, body);
            Assert.DoesNotContain("Npgsql", body);
        }
    }
}
