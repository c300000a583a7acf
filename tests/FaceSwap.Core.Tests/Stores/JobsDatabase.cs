using Dapper;
using FaceSwap.Core.Accounts;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Storage.Postgres;
using FaceSwap.Core.Storage.Sqlite;
using FaceSwap.Core.Tests.Infrastructure;
using FaceSwap.Core.Tests.Postgres;
using FaceSwap.Core.Webhooks;
using Microsoft.AspNetCore.DataProtection;

namespace FaceSwap.Core.Tests.Stores;

/// <summary>What one node opens on the database for running jobs.</summary>
public sealed record NodeStores(IJobStore Jobs, IAccountStore Accounts, IBlobStore Blobs);

/// <summary>
/// One empty database on either storage provider for the job side (jobs, deliveries, Idempotency-Keys, and the
/// accounts and blobs a node needs to run jobs): a new SQLite file, or a new database on the test PostgreSQL
/// server (the test skips, saying why, without one). A test opens it once more per extra node; the contract
/// tests run the same assertions on both.
/// </summary>
public abstract class JobsDatabase : IAsyncDisposable
{
    /// <summary>The nodes share Data Protection keys, as a cluster's nodes must.</summary>
    protected DiscordTokenProtector Protector { get; } = new(new EphemeralDataProtectionProvider());

    public static Task<JobsDatabase> SqliteAsync() => Task.FromResult<JobsDatabase>(new SqliteStores());

    /// <summary>Skips the calling test when no test PostgreSQL is named (FACESWAP_TEST_POSTGRES).</summary>
    public static async Task<JobsDatabase> PostgresAsync() => new PostgresStores(await TestPostgres.CreateAsync());

    /// <summary>The test's own job store.</summary>
    public abstract IJobStore JobStore(JobsOptions? options = null);

    /// <summary>A job store on a handle of its own (its own connections), as another node would open it.</summary>
    public IJobStore NodeJobStore(JobsOptions? options = null) => OpenNode(options ?? new JobsOptions()).Jobs;

    /// <summary>A node's stores on a handle of its own.</summary>
    public abstract NodeStores OpenNode(JobsOptions options);

    public abstract IDeliveryStore DeliveryStore();

    /// <summary>A delivery store on a handle of its own, as another node would open it.</summary>
    public abstract IDeliveryStore NodeDeliveryStore();

    public abstract IIdempotencyStore IdempotencyStore();

    public abstract IAccountStore AccountStore();

    /// <summary>A node whose process ends, with no clean-up of what it wrote, when it is disposed.</summary>
    public abstract Task<EndingNode> CrashingNodeAsync();

    /// <summary>A user row (jobs refer to users by id); returns its id.</summary>
    public abstract Task<long> AddUserAsync(string name);

    /// <summary>A user and channels of theirs on <paramref name="engine"/>; returns the user id.</summary>
    public async Task<long> AddUserWithChannelsAsync(string name, string engine, params string[] channels)
    {
        var user = await AddUserAsync(name);
        foreach (var channel in channels)
        {
            await AccountStore().UpsertAsync(new Account { UserId = user, Channel = channel, Engine = engine, Created = DateTimeOffset.UtcNow },
                CancellationToken.None);
        }
        return user;
    }

    /// <summary>One scalar from the database, to inspect what the stores wrote (SQL both providers accept).</summary>
    public abstract Task<T> ScalarAsync<T>(string sql, object? args = null);

    /// <summary>A write behind the stores' backs (SQL both providers accept), as another node's would land.</summary>
    public abstract Task<int> ExecuteAsync(string sql, object? args = null);

    /// <summary>The execution columns of a job, as the claim statement sees them.</summary>
    public abstract Task<LeaseRow> LeaseOfAsync(string jobId);

    /// <summary>How many blobs are stored (inputs and results).</summary>
    public abstract Task<long> BlobCountAsync();

    public abstract ValueTask DisposeAsync();

    private sealed class SqliteStores : JobsDatabase
    {
        private readonly TestDatabase _db = new();

        private string BlobFolder => Path.Combine(_db.Folder, "blobs");

        public override IJobStore JobStore(JobsOptions? options = null) => _db.JobStore(options);

        public override NodeStores OpenNode(JobsOptions options)
        {
            var database = _db.Open();
            return new NodeStores(new SqliteJobStore(database, TestDatabase.Options(options)), new SqliteAccountStore(database, Protector),
                new FileBlobStore(BlobFolder));
        }

        public override IDeliveryStore DeliveryStore() => new SqliteDeliveryStore(_db.Database);

        public override IDeliveryStore NodeDeliveryStore() => new SqliteDeliveryStore(_db.Open());

        public override IIdempotencyStore IdempotencyStore() => new SqliteIdempotencyStore(_db.Database);

        public override IAccountStore AccountStore() => new SqliteAccountStore(_db.Database, Protector);

        public override Task<EndingNode> CrashingNodeAsync() =>
            Task.FromResult(new EndingNode(new SqliteIdempotencyStore(_db.Open()), () => ValueTask.CompletedTask));

        public override async Task<long> AddUserAsync(string name) =>
            (await new SqliteUserStore(_db.Database).AddUserAsync(name, null, CancellationToken.None)).Id;

        public override async Task<T> ScalarAsync<T>(string sql, object? args = null)
        {
            await using var connection = await _db.Database.OpenAsync(CancellationToken.None);
            return (await connection.ExecuteScalarAsync<T>(sql, args))!;
        }

        public override async Task<int> ExecuteAsync(string sql, object? args = null)
        {
            await using var connection = await _db.Database.OpenAsync(CancellationToken.None);
            return await connection.ExecuteAsync(sql, args);
        }

        public override Task<LeaseRow> LeaseOfAsync(string jobId) => _db.LeaseOfAsync(jobId);

        public override Task<long> BlobCountAsync() => Task.FromResult<long>(
            Directory.Exists(BlobFolder) ? Directory.GetFiles(BlobFolder, "*", SearchOption.AllDirectories).Length : 0);

        public override ValueTask DisposeAsync()
        {
            _db.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class PostgresStores(TestPostgres server) : JobsDatabase
    {
        private readonly PostgresDatabase _database = server.Open();

        public override IJobStore JobStore(JobsOptions? options = null) =>
            new PostgresJobStore(_database, TestDatabase.Options(options ?? new JobsOptions()));

        public override NodeStores OpenNode(JobsOptions options)
        {
            var database = server.Open();
            return new NodeStores(new PostgresJobStore(database, TestDatabase.Options(options)), new PostgresAccountStore(database, Protector),
                new PostgresBlobStore(database));
        }

        public override IDeliveryStore DeliveryStore() => new PostgresDeliveryStore(_database);

        public override IDeliveryStore NodeDeliveryStore() => new PostgresDeliveryStore(server.Open());

        public override IIdempotencyStore IdempotencyStore() => new PostgresIdempotencyStore(_database);

        public override IAccountStore AccountStore() => new PostgresAccountStore(_database, Protector);

        public override Task<EndingNode> CrashingNodeAsync()
        {
            // Its own data source, closed when it ends: the server drops its sessions and their locks, as at a crash.
            var database = new PostgresDatabase(server.ConnectionString);
            return Task.FromResult(new EndingNode(new PostgresIdempotencyStore(database), () => new ValueTask(server.EndAsync(database))));
        }

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

        public override async Task<int> ExecuteAsync(string sql, object? args = null)
        {
            await using var connection = await _database.OpenAsync(CancellationToken.None);
            return await connection.ExecuteAsync(sql, args);
        }

        public override async Task<LeaseRow> LeaseOfAsync(string jobId)
        {
            await using var connection = await _database.OpenAsync(CancellationToken.None);
            return await connection.QuerySingleAsync<LeaseRow>(
                "SELECT status AS Status, lease_owner AS LeaseOwner, lease_until_ms AS LeaseUntilMs, attempt::bigint AS Attempt, max_attempts::bigint AS MaxAttempts FROM jobs WHERE id = @jobId",
                new { jobId });
        }

        public override Task<long> BlobCountAsync() => ScalarAsync<long>("SELECT count(*) FROM blobs");

        public override ValueTask DisposeAsync() => server.DisposeAsync();
    }
}

/// <summary>A node's stores until its process ends (disposal).</summary>
public sealed class EndingNode(IIdempotencyStore keys, Func<ValueTask> end) : IAsyncDisposable
{
    public IIdempotencyStore Keys => keys;

    public ValueTask DisposeAsync() => end();
}
