using ClusterRegistry.Infrastructure.Storage.Relational;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace ClusterRegistry.Infrastructure.Storage.Postgres;

/// <summary>The shared relational model on PostgreSQL, with its own migrations; keys compare bytewise ("C" collation), as etcd orders them.</summary>
public sealed class PostgresDbContext(DbContextOptions<PostgresDbContext> options) : RegistryDbContext(options)
{
    protected override void OnModelCreating(ModelBuilder b)
    {
        base.OnModelCreating(b);
        b.Entity<ObjectRow>().Property(o => o.Key).UseCollation("C");
        b.Entity<ObjectRow>().Property(o => o.Labels).HasColumnType("jsonb");
        b.Entity<ObjectRow>().HasIndex(o => o.Labels).HasMethod("gin");
        b.Entity<EventRow>().Property(o => o.Key).UseCollation("C");
    }
}

/// <summary>Lets <c>dotnet ef migrations add</c> build the context without a database.</summary>
public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresDbContext>
{
    public PostgresDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresDbContext>().UseNpgsql("Host=localhost;Database=clusterregistry").Options);
}
