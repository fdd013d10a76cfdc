using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ClusterRegistry.Infrastructure.Storage.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class ObjectLabels : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "labels",
                table: "objects",
                type: "jsonb",
                nullable: true);

            // Rows written before this migration get their labels from the stored object.
            migrationBuilder.Sql("UPDATE objects SET labels = convert_from(value, 'UTF8')::jsonb -> 'metadata' -> 'labels' " +
                                 "WHERE jsonb_typeof(convert_from(value, 'UTF8')::jsonb -> 'metadata' -> 'labels') = 'object'");

            migrationBuilder.CreateIndex(
                name: "IX_objects_labels",
                table: "objects",
                column: "labels")
                .Annotation("Npgsql:IndexMethod", "gin");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_objects_labels",
                table: "objects");

            migrationBuilder.DropColumn(
                name: "labels",
                table: "objects");
        }
    }
}
