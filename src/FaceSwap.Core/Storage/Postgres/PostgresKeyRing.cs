using System.Xml.Linq;
using Dapper;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace FaceSwap.Core.Storage.Postgres;

/// <summary>
/// The Data Protection key ring in the cluster's database: Discord tokens and webhook secrets are encrypted with
/// these keys, so every node must hold the same ones to read what another node stored. A data folder's
/// <c>keys/</c> would give each node a ring of its own.
/// </summary>
public sealed class PostgresKeyRing(PostgresDatabase database) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = database.DataSource.OpenConnection();
        return connection.Query<string>("SELECT xml FROM data_protection_keys ORDER BY name").Select(XElement.Parse).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var connection = database.DataSource.OpenConnection();
        connection.Execute(
            "INSERT INTO data_protection_keys (name, xml) VALUES (@friendlyName, @xml) ON CONFLICT (name) DO UPDATE SET xml = excluded.xml",
            new { friendlyName, xml = element.ToString(SaveOptions.DisableFormatting) });
    }
}
