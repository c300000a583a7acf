using Dapper;
using FaceSwap.Core.Storage.Postgres;
using Npgsql;

namespace FaceSwap.Core.Tests.Postgres;

/// <summary>A node's pooled connections prepare the statements it runs again and again, unless the operator said not to.</summary>
public sealed class PostgresPreparationTests
{
    private const string StatusRead = "SELECT expired, status, data FROM jobs WHERE id = @id";

    /// <summary>The statements prepared on one pooled connection after it ran a status read ten times.</summary>
    private static async Task<long> PreparedAfterRepeatsAsync(PostgresDatabase database)
    {
        await using var connection = await database.OpenAsync(CancellationToken.None);
        for (var i = 0; i < 10; i++) await connection.QueryAsync(StatusRead, new { id = $"job{i}" });
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%FROM jobs WHERE id = $1%'");
    }

    [SkippableFact]
    public async Task A_statement_run_again_and_again_is_prepared_on_its_connection()
    {
        await using var server = await TestPostgres.CreateAsync();
        Assert.Equal(1, await PreparedAfterRepeatsAsync(server.Open()));
    }

    [SkippableFact]
    public async Task An_operators_Max_Auto_Prepare_is_kept()
    {
        await using var server = await TestPostgres.CreateAsync();
        var withoutPreparation = new NpgsqlConnectionStringBuilder(server.ConnectionString) { MaxAutoPrepare = 0 }.ConnectionString;
        await using var database = new PostgresDatabase(withoutPreparation);
        Assert.Equal(0, await PreparedAfterRepeatsAsync(database));
    }
}
