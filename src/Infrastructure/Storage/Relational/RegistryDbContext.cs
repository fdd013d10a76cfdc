using Microsoft.EntityFrameworkCore;

namespace ClusterRegistry.Infrastructure.Storage.Relational;

/// <summary>The relational model shared by the embedded (SQLite) store and, later, PostgreSQL.</summary>
public class RegistryDbContext : DbContext
{
    public RegistryDbContext(DbContextOptions<RegistryDbContext> options) : base(options) { }

    /// <summary>For provider-specific subclasses that carry their own migrations.</summary>
    protected RegistryDbContext(DbContextOptions options) : base(options) { }

    public DbSet<ObjectRow> Objects => Set<ObjectRow>();
    public DbSet<EventRow> Events => Set<EventRow>();
    public DbSet<StoreStateRow> State => Set<StoreStateRow>();
    public DbSet<LeaseRow> Leases => Set<LeaseRow>();

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<ObjectRow>(e =>
        {
            e.ToTable("objects");
            e.HasKey(o => o.Key);
            e.Property(o => o.Key).HasColumnName("key");
            e.Property(o => o.Value).HasColumnName("value");
            e.Property(o => o.CreateRevision).HasColumnName("create_revision");
            e.Property(o => o.ModRevision).HasColumnName("mod_revision");
            e.Property(o => o.Labels).HasColumnName("labels");
        });
        b.Entity<EventRow>(e =>
        {
            e.ToTable("events");
            e.HasKey(o => o.Revision);
            e.Property(o => o.Revision).HasColumnName("revision").ValueGeneratedNever();
            e.Property(o => o.Key).HasColumnName("key");
            e.Property(o => o.Type).HasColumnName("type");
            e.Property(o => o.Value).HasColumnName("value");
            e.Property(o => o.PrevValue).HasColumnName("prev_value");
            e.Property(o => o.PrevRevision).HasColumnName("prev_revision");
            e.HasIndex(o => new { o.Key, o.Revision });
        });
        b.Entity<StoreStateRow>(e =>
        {
            e.ToTable("store_state");
            e.HasKey(o => o.Id);
            e.Property(o => o.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(o => o.CurrentRevision).HasColumnName("current_revision");
            e.Property(o => o.CompactedRevision).HasColumnName("compacted_revision");
        });
        b.Entity<LeaseRow>(e =>
        {
            e.ToTable("leases");
            e.HasKey(o => o.Name);
            e.Property(o => o.Name).HasColumnName("name");
            e.Property(o => o.Holder).HasColumnName("holder");
            e.Property(o => o.ExpiresAtMs).HasColumnName("expires_at_ms");
        });
    }
}
