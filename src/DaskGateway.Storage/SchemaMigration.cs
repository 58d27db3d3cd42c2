namespace DaskGateway.Storage;

/// <summary>One step of the schema's history: the SQL that takes a database from <c>Version - 1</c> to <paramref name="Version"/>.</summary>
internal sealed record SchemaMigration(int Version, string Description, string Sql);
