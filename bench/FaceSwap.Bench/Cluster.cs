using System.Net.Http.Json;
using FaceSwap.Sandbox;
using FaceSwap.Sandbox.Discord;
using Npgsql;

namespace FaceSwap.Bench;

/// <summary>
/// Status reads and durable submits on SQLite (the embedded default, one node) against PostgreSQL with one node and
/// with two nodes sharing the database, each a fresh server (and a fresh database) in the same run, with the same
/// load: wrk with 64 connections in all (two wrk of 32, one per node, for two nodes, their rates added). The SQLite
/// node is the baseline of each figure. The read is of a running job (one database read per request; a finished
/// job is served from memory on every provider). Both nodes' discord engines use one sandbox hosted here.
/// PostgreSQL comes from <c>FACESWAP_TEST_POSTGRES</c> (an admin connection string; bench/run.sh starts one with
/// scripts/postgres.sh for a full run); without it the PostgreSQL rows are skipped, with the reason.
/// </summary>
public static class Cluster
{
    public const string PostgresVariable = "FACESWAP_TEST_POSTGRES";
    private const string Channel = FaceSwapServer.SandboxChannel;

    private sealed record Figures(double ReadsPerSecond, double ReadsP99Ms, double SubmitsPerSecond, double SubmitsP99Ms, long Stored);

    public static async Task RunAsync(string repo, string work, Options options, Table table)
    {
        var sandboxOptions = new SandboxOptions
        {
            Port = 0,
            DailyCredits = 100_000_000,
            GlobalRequestsPerSecond = 1_000_000,
            // The jobs stay running while the reads measure one; the submitted ones queue behind.
            AsyncResultDelay = TimeSpan.FromHours(1),
            BotReplyDelay = TimeSpan.FromMilliseconds(50),
        };
        await using var sandbox = await SandboxServer.StartAsync(sandboxOptions);
        var (token, guild) = ("bench-cluster-token", "100000000000000001");
        sandbox.State.AddAccount(token, guild, Channel);
        sandbox.State.FindChannel(Channel)!.SavedIds.Save("me", Png.Gradient());

        var admin = Environment.GetEnvironmentVariable(PostgresVariable);
        if (string.IsNullOrWhiteSpace(admin))
        {
            var reason = $"PostgreSQL rows skipped: {PostgresVariable} is unset (bench/run.sh starts PostgreSQL with scripts/postgres.sh for a full run; scripts/test.sh provides one to the smoke run)";
            Console.Error.WriteLine($"bench: {reason}");
            table.Note(reason + ".");
            admin = null;
        }
        // The smoke run only checks that the bench works: one configuration, the cluster's when there is a PostgreSQL.
        if (options.Smoke)
        {
            var smoke = options with { Duration = TimeSpan.FromSeconds(2) };
            var (name, nodes) = admin is null ? ("SQLite, 1 node", 1) : ("PostgreSQL, 2 nodes", 2);
            var figures = await MeasureAsync(repo, work, smoke, sandbox, token, guild, "cluster-smoke", nodes, admin is null ? null : await CreateDatabaseAsync(admin));
            AddRows(table, [(name, figures)], baseline: null);
            return;
        }
        var sqlite = await MeasureAsync(repo, work, options, sandbox, token, guild, "cluster-sqlite", nodes: 1, connectionString: null);
        var postgres1 = admin is null ? null : await MeasureAsync(repo, work, options, sandbox, token, guild, "cluster-pg-1", 1, await CreateDatabaseAsync(admin));
        var postgres2 = admin is null ? null : await MeasureAsync(repo, work, options, sandbox, token, guild, "cluster-pg-2", 2, await CreateDatabaseAsync(admin));
        AddRows(table, [("SQLite, 1 node", sqlite), ("PostgreSQL, 1 node", postgres1), ("PostgreSQL, 2 nodes", postgres2)], baseline: sqlite);
    }

    /// <summary>The rows of each configuration measured, each against the SQLite node of the same run when there is one.</summary>
    private static void AddRows(Table table, (string Name, Figures? Figures)[] configurations, Figures? baseline)
    {
        foreach (var (name, figures) in configurations)
        {
            if (figures is null) continue;
            table.Add(new Row($"status reads, a running job (one database read each), wrk -c64 in all: {name}",
                $"{Table.Rate(figures.ReadsPerSecond, "req/s")}, p99 {Table.Ms(figures.ReadsP99Ms)}",
                baseline is null ? "—" : $"SQLite, 1 node: {Table.Rate(baseline.ReadsPerSecond, "req/s")}",
                baseline is null ? "—" : Table.Times(figures.ReadsPerSecond / baseline.ReadsPerSecond), "—", null));
        }
        foreach (var (name, figures) in configurations)
        {
            if (figures is null) continue;
            table.Add(new Row($"durable submits, `POST /headshot` `Prefer: respond-async`, wrk -c64 in all: {name}",
                $"{Table.Rate(figures.SubmitsPerSecond, "jobs/s")}, p99 {Table.Ms(figures.SubmitsP99Ms)}; {figures.Stored:N0} jobs stored",
                baseline is null ? "—" : $"SQLite, 1 node: {Table.Rate(baseline.SubmitsPerSecond, "jobs/s")}",
                baseline is null ? "—" : Table.Times(figures.SubmitsPerSecond / baseline.SubmitsPerSecond), "—", null));
        }
    }

    /// <summary>A fresh database on the PostgreSQL server, for one configuration.</summary>
    private static async Task<string> CreateDatabaseAsync(string admin)
    {
        var name = "faceswap_bench_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    private static async Task<Figures> MeasureAsync(string repo, string work, Options options, SandboxServer sandbox, string token, string guild,
        string name, int nodes, string? connectionString)
    {
        var settings = new List<(string, string)>
        {
            ("FaceSwap:Sandbox:Enabled", "false"),
            ("FaceSwap:Discord:ApiBaseUrl", sandbox.ApiBaseUrl.ToString().TrimEnd('/')),
        };
        if (connectionString is not null)
        {
            settings.Add(("FaceSwap:Storage:Provider", "postgres"));
            settings.Add(("ConnectionStrings:FaceSwap", connectionString));
        }
        var servers = new List<FaceSwapServer>();
        try
        {
            for (var i = 0; i < nodes; i++) servers.Add(await FaceSwapServer.StartAsync(repo, work, $"{name}-{i}", [.. settings]));
            var first = servers[0];
            var saved = await first.Client.PostAsJsonAsync($"account/{Channel}", new { discord = token, server = guild, channel = Channel });
            if (!saved.IsSuccessStatusCode) throw new InvalidOperationException($"{name}: account {Channel}: {(int)saved.StatusCode} {await saved.Content.ReadAsStringAsync()}");
            var running = (string)(await first.SubmitAsync("headshot", ("channel", Channel), ("prompt", "me, a running job")))["jobid"]!;

            var readUrls = servers.Select(s => s.JobUrl(running)).ToList();
            await LoadAsync(readUrls, options.WarmUp, null);
            var reads = await LoadAsync(readUrls, options.Duration, null);

            var submitUrls = servers.Select(s => new Uri(s.BaseUrl, "/v1/faceswap/headshot").ToString()).ToList();
            var script = Path.Combine(AppContext.BaseDirectory, "submit-async.lua");
            await LoadAsync(submitUrls, options.WarmUp, script);
            var before = await CountJobsAsync(first, connectionString);
            var submits = await LoadAsync(submitUrls, options.Duration, script);
            var stored = await CountJobsAsync(first, connectionString) - before;
            var answered = submits.Requests - submits.Errors;
            if (answered <= 0) throw new InvalidOperationException($"{name}: no submit succeeded ({submits.Errors} errors)");
            if (stored < answered) throw new InvalidOperationException($"{name}: {answered} submits answered but only {stored} jobs stored");
            return new Figures(reads.RequestsPerSecond, reads.P99Ms, answered / (submits.Requests / submits.RequestsPerSecond), submits.P99Ms, stored);
        }
        finally
        {
            foreach (var server in servers) await server.DisposeAsync();
        }
    }

    /// <summary>wrk on every node at once, 64 connections shared out; the rates added, the worst p99 kept.</summary>
    private static async Task<WrkResult> LoadAsync(IReadOnlyList<string> urls, TimeSpan duration, string? script)
    {
        var results = await Task.WhenAll(urls.Select(url =>
            Wrk.RunAsync(url, duration, connections: 64 / urls.Count, headers: StatusReads.AuthHeaders, script: script)));
        if (script is null && results.Sum(r => r.Errors) > 0) throw new InvalidOperationException($"{results.Sum(r => r.Errors)} status reads failed");
        return new WrkResult(results.Sum(r => r.RequestsPerSecond), results.Max(r => r.P99Ms), results.Sum(r => r.Requests), results.Sum(r => r.Errors));
    }

    private static async Task<long> CountJobsAsync(FaceSwapServer server, string? connectionString)
    {
        if (connectionString is null)
        {
            await using var sqlite = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(server.DataDir, "faceswap.db")};Mode=ReadOnly;Pooling=False");
            await sqlite.OpenAsync();
            await using var count = sqlite.CreateCommand();
            count.CommandText = "SELECT count(*) FROM jobs";
            return (long)(await count.ExecuteScalarAsync())!;
        }
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM jobs", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
