using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ClusterRegistry.Infrastructure.Storage.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "events",
                columns: table => new
                {
                    revision = table.Column<long>(type: "bigint", nullable: false),
                    key = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    type = table.Column<int>(type: "integer", nullable: false),
                    value = table.Column<byte[]>(type: "bytea", nullable: true),
                    prev_value = table.Column<byte[]>(type: "bytea", nullable: true),
                    prev_revision = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_events", x => x.revision);
                });

            migrationBuilder.CreateTable(
                name: "objects",
                columns: table => new
                {
                    key = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    value = table.Column<byte[]>(type: "bytea", nullable: false),
                    create_revision = table.Column<long>(type: "bigint", nullable: false),
                    mod_revision = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_objects", x => x.key);
                });

            migrationBuilder.CreateTable(
                name: "store_state",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false),
                    current_revision = table.Column<long>(type: "bigint", nullable: false),
                    compacted_revision = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_store_state", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_events_key_revision",
                table: "events",
                columns: new[] { "key", "revision" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "events");

            migrationBuilder.DropTable(
                name: "objects");

            migrationBuilder.DropTable(
                name: "store_state");
        }
    }
}
