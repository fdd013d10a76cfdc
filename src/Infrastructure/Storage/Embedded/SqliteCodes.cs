namespace ClusterRegistry.Infrastructure.Storage.Embedded;

/// <summary>The primary SQLite result codes the embedded store tells apart (sqlite3.h).</summary>
internal static class SqliteCodes
{
    public const int Permission = 3;
    public const int ReadOnly = 8;
    public const int IoError = 10;
    public const int Corrupt = 11;
    public const int Full = 13;
    public const int CannotOpen = 14;
    public const int Constraint = 19;
    public const int NotADatabase = 26;
}
