using Dapper;
using FaceSwap.Core.Accounts;
using FaceSwap.Core.Jobs;
using FaceSwap.Core.Storage;
using FaceSwap.Core.Storage.Sqlite;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace FaceSwap.Core.Tests.Infrastructure;

/// <summary>A real SQLite file in its own folder; every node opens it on its own, as separate processes would.</summary>
public sealed class TestDatabase : IDisposable
{
    public TestDatabase()
    {
        Folder = Path.Combine(Path.GetTempPath(), "faceswap-core-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        Database = Open();
    }

    public string Folder { get; }
    public string FilePath => Path.Combine(Folder, "faceswap.db");

    /// <summary>The test's own handle on the file (users, accounts, inspection).</summary>
    public SqliteDatabase Database { get; }

    public SqliteDatabase Open() => new(FilePath);

    public static IOptions<JobsOptions> Options(JobsOptions options) => Microsoft.Extensions.Options.Options.Create(options);

    public SqliteJobStore JobStore(JobsOptions? options = null) => new(Database, Options(options ?? new JobsOptions()));

    public SqliteAccountStore AccountStore() =>
        new(Database, new DiscordTokenProtector(new EphemeralDataProtectionProvider()));

    /// <summary>A user and one channel of theirs on <paramref name="engine"/>; returns the user id.</summary>
    public async Task<long> AddUserWithChannelsAsync(string name, string engine, params string[] channels)
    {
        var user = await new SqliteUserStore(Database).AddUserAsync(name, null, CancellationToken.None);
        foreach (var channel in channels)
        {
            await AccountStore().UpsertAsync(new Account { UserId = user.Id, Channel = channel, Engine = engine, Created = DateTimeOffset.UtcNow },
                CancellationToken.None);
        }
        return user.Id;
    }

    /// <summary>The execution columns of a job, as the claim statement sees them.</summary>
    public async Task<LeaseRow> LeaseOfAsync(string jobId)
    {
        await using var connection = await Database.OpenAsync(CancellationToken.None);
        return await connection.QuerySingleAsync<LeaseRow>(
            "SELECT status AS Status, lease_owner AS LeaseOwner, lease_until_ms AS LeaseUntilMs, attempt AS Attempt, max_attempts AS MaxAttempts FROM jobs WHERE id = @jobId",
            new { jobId });
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}

public sealed record LeaseRow(string Status, string? LeaseOwner, long? LeaseUntilMs, long Attempt, long MaxAttempts);

public static class TestJobs
{
    public static Job New(long userId, string channel, DateTimeOffset created, Verb verb = Verb.Headshot) => new()
    {
        Id = JobIds.NewJobId(),
        UserId = userId,
        Verb = verb,
        Status = JobStatus.Created,
        Created = created,
        Updated = created,
        Channel = channel,
        Fields = new Dictionary<string, string> { ["prompt"] = "a test" },
    };

    /// <summary>Inserts <paramref name="count"/> jobs on the channel, one millisecond apart from <paramref name="from"/>.</summary>
    public static async Task<List<Job>> InsertAsync(IJobStore store, long userId, string channel, int count, DateTimeOffset from)
    {
        var jobs = new List<Job>();
        for (var i = 0; i < count; i++)
        {
            var job = New(userId, channel, from.AddMilliseconds(i));
            Assert.True((await store.InsertAsync(job, exclusiveOnChannel: false, CancellationToken.None)).Inserted);
            jobs.Add(job);
        }
        return jobs;
    }
}
