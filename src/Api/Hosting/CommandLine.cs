using System.CommandLine;
using ClusterRegistry.Api.Endpoints;
using ClusterRegistry.Api.Hosting.Flags;

namespace ClusterRegistry.Api.Hosting;

/// <summary>
/// The <c>clusterregistry</c> command line. It accepts the original's flags so existing deployments carry over;
/// flags of removed features fail with a message saying so, never silently. Invalid flags are reported here, one
/// <c>error: </c> line each, with exit code 2.
/// </summary>
public static class CommandLine
{
    public static RootCommand Build()
    {
        var flags = new ServerFlags();
        var root = new RootCommand("ClusterRegistry: a Kubernetes-style API server holding a list of clusters and their metadata.");
        var standalone = new Command("standalone", "Run the registry as a standalone API server.");
        foreach (var option in flags.Shared.Concat(flags.StandaloneOnly)) standalone.Options.Add(option);
        standalone.SetAction(async (parse, ct) =>
            Validated(flags, parse, standalone: true) is { } options ? await ServerHost.RunAsync(options, ct) : 2);
        root.Subcommands.Add(standalone);
        root.Subcommands.Add(AggregatedCommand.Create(flags.Shared, parse => Validated(flags, parse, standalone: false)));
        root.Subcommands.Add(OpenApiSpec());
        root.Subcommands.Add(Migrate());
        root.Subcommands.Add(Version());
        return root;
    }

    /// <summary>The server settings, or null after printing why they are invalid.</summary>
    private static ServerOptions? Validated(ServerFlags flags, ParseResult parse, bool standalone)
    {
        var (options, errors) = flags.Read(parse, standalone);
        foreach (var error in errors) Console.Error.WriteLine($"error: {error}.");
        return errors.Count == 0 ? options : null;
    }

    private static Command OpenApiSpec()
    {
        var specDir = new Argument<string>("directory")
        {
            Description = "Where to write swagger.json and the v3 document.",
            DefaultValueFactory = _ => "api/openapi-spec",
        };
        var openapi = new Command("openapi-spec", "Write the OpenAPI v2 and v3 documents the server serves (api/openapi-spec in the repository).");
        openapi.Arguments.Add(specDir);
        openapi.SetAction(parse =>
        {
            var dir = parse.GetValue(specDir)!;
            foreach (var (path, json) in OpenApi.OpenApiDocuments.Files())
            {
                var full = Path.Combine(dir, path);
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                File.WriteAllText(full, json);
                Console.WriteLine(full);
            }
            return 0;
        });
        return openapi;
    }

    private static Command Migrate()
    {
        var connection = new Option<string>("--postgres-connection-string") { Description = "The database to migrate.", Required = true };
        var migrate = new Command("migrate", "Apply the PostgreSQL schema migrations and exit (the server also applies them at start).");
        migrate.Options.Add(connection);
        migrate.SetAction(async (parse, ct) =>
        {
            await Infrastructure.Storage.StorageBackends.MigratePostgresAsync(parse.GetValue(connection)!, ct);
            Console.WriteLine("migrations applied");
            return 0;
        });
        return migrate;
    }

    private static Command Version()
    {
        var version = new Command("version", "Print the version.");
        version.SetAction(_ =>
        {
            Console.WriteLine(
                $"clusterregistry {VersionApi.ServerVersion} (Kubernetes API v{VersionApi.KubernetesMajor}.{VersionApi.KubernetesMinor})");
            return 0;
        });
        return version;
    }
}
