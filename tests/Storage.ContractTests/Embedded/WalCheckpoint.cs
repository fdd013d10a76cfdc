using Microsoft.Data.Sqlite;

namespace ClusterRegistry.Tests.StorageContractTests.Embedded;

/// <summary>Moves everything from the WAL into the main file, so damage to the main file is what readers see.</summary>
public static class WalCheckpoint
{
    public static void Run(string databasePath)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
        command.ExecuteNonQuery();
    }
}
