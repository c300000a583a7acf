using Dapper;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Storage.Postgres;
using FaceSwap.Core.Storage.Sqlite;
using FaceSwap.Core.Tests.Postgres;
using FaceSwap.Core.Webhooks;

namespace FaceSwap.Core.Tests.Infrastructure;

/// <summary>
/// A fresh database of one storage provider, for the stores' contract tests that run on every provider: a new
/// SQLite file, or a new database on the test PostgreSQL server (the test skips, saying why, without one).
/// </summary>
public abstract class TestStores : IAsyncDisposable
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// <summary>The providers, as xunit theory data.</summary>
    public static TheoryData<string> Providers => new(Sqlite, Postgres);

    public static async Task<TestStores> CreateAsync(string provider) => provider switch
    {
        Sqlite => new SqliteStores(),
        Postgres => new PostgresStores(await TestPostgres.CreateAsync()),
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "no such storage provider"),
    };

    /// <summary>The test's own job store.</summary>
    public abstract IJobStore JobStore(JobsOptions? options = null);

    /// <summary>A job store on a handle of its own (its own connections), as another node would open it.</summary>
    public abstract IJobStore NodeJobStore(JobsOptions? options = null);

    public abstract IDeliveryStore DeliveryStore();

    /// <summary>A delivery store on a handle of its own, as another node would open it.</summary>
    public abstract IDeliveryStore NodeDeliveryStore();

    public abstract IIdempotencyStore IdempotencyStore();

    /// <summary>A user row (jobs refer to users by id); returns its id.</summary>
    public abstract Task<long> AddUserAsync(string name);

    /// <summary>One scalar from the database, to inspect what the stores wrote (SQL both providers accept).</summary>
    public abstract Task<T> ScalarAsync<T>(string sql, object? args = null);

    /// <summary>The execution columns of a job, as the claim statement sees them.</summary>
    public abstract Task<LeaseRow> LeaseOfAsync(string jobId);

    public abstract ValueTask DisposeAsync();

    private sealed class SqliteStores : TestStores
    {
        private readonly TestDatabase _db = new();

        public override IJobStore JobStore(JobsOptions? options = null) => _db.JobStore(options);

        public override IJobStore NodeJobStore(JobsOptions? options = null) =>
            new SqliteJobStore(_db.Open(), TestDatabase.Options(options ?? new JobsOptions()));

        public override IDeliveryStore DeliveryStore() => new SqliteDeliveryStore(_db.Database);

        public override IDeliveryStore NodeDeliveryStore() => new SqliteDeliveryStore(_db.Open());

        public override IIdempotencyStore IdempotencyStore() => new SqliteIdempotencyStore(_db.Database);

        public override async Task<long> AddUserAsync(string name) =>
            (await new SqliteUserStore(_db.Database).AddUserAsync(name, null, CancellationToken.None)).Id;

        public override async Task<T> ScalarAsync<T>(string sql, object? args = null)
        {
            await using var connection = await _db.Database.OpenAsync(CancellationToken.None);
            return (await connection.ExecuteScalarAsync<T>(sql, args))!;
        }

        public override Task<LeaseRow> LeaseOfAsync(string jobId) => _db.LeaseOfAsync(jobId);

        public override ValueTask DisposeAsync()
        {
            _db.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class PostgresStores(TestPostgres server) : TestStores
    {
        private readonly PostgresDatabase _database = server.Open();

        public override IJobStore JobStore(JobsOptions? options = null) =>
            new PostgresJobStore(_database, TestDatabase.Options(options ?? new JobsOptions()));

        public override IJobStore NodeJobStore(JobsOptions? options = null) =>
            new PostgresJobStore(server.Open(), TestDatabase.Options(options ?? new JobsOptions()));

        public override IDeliveryStore DeliveryStore() => new PostgresDeliveryStore(_database);

        public override IDeliveryStore NodeDeliveryStore() => new PostgresDeliveryStore(server.Open());

        public override IIdempotencyStore IdempotencyStore() => new PostgresIdempotencyStore(_database);

        public override async Task<long> AddUserAsync(string name)
        {
            await using var connection = await _database.OpenAsync(CancellationToken.None);
            return await connection.ExecuteScalarAsync<long>("INSERT INTO users (name, created) VALUES (@name, now()) RETURNING id", new { name });
        }

        public override async Task<T> ScalarAsync<T>(string sql, object? args = null)
        {
            await using var connection = await _database.OpenAsync(CancellationToken.None);
            return (await connection.ExecuteScalarAsync<T>(sql, args))!;
        }

        public override async Task<LeaseRow> LeaseOfAsync(string jobId)
        {
            await using var connection = await _database.OpenAsync(CancellationToken.None);
            return await connection.QuerySingleAsync<LeaseRow>(
                "SELECT status AS Status, lease_owner AS LeaseOwner, lease_until_ms AS LeaseUntilMs, attempt::bigint AS Attempt, max_attempts::bigint AS MaxAttempts FROM jobs WHERE id = @jobId",
                new { jobId });
        }

        public override ValueTask DisposeAsync() => server.DisposeAsync();
    }
}
