using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;
using System.Text.RegularExpressions;
using ClusterRegistry.Crinit.Host;
using ClusterRegistry.Crinit.Manifests;

namespace ClusterRegistry.Crinit.Cli;

/// <summary>
/// The <c>crinit</c> command line: the original's commands and flags (kubefed's lineage), with the storage,
/// output and wait flags it lacked. Flags of what crinit no longer does fail with the reason, never silently.
/// </summary>
public static partial class CrinitCommand
{
    public const string DefaultImage = "clusterregistry:local";

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1035Label();

    public static RootCommand Build(TextWriter? stdout = null, TextWriter? stderr = null, TimeProvider? time = null)
    {
        var output = stdout ?? Console.Out;
        var errors = stderr ?? Console.Error;
        var clock = time ?? TimeProvider.System;
        var root = new RootCommand("crinit runs a cluster registry in a Kubernetes cluster.");
        foreach (var mode in new[] { Mode.Standalone, Mode.Aggregated })
        {
            var group = new Command(mode.ToString().ToLowerInvariant(), mode == Mode.Standalone
                ? "A registry with its own endpoint (Service, certificates, kubeconfig entry)."
                : "A registry served through the host's kube-apiserver (APIService, delegated authentication and authorization).");
            group.Subcommands.Add(Init(mode, output, errors, clock));
            group.Subcommands.Add(Delete(mode, output, errors));
            root.Subcommands.Add(group);
        }
        var version = new Command("version", "Print crinit's version.");
        version.Options.Add(new Option<bool>("--short") { Description = "Only the version number." });
        version.SetAction(_ =>
        {
            output.WriteLine(typeof(CrinitCommand).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");
            return 0;
        });
        root.Subcommands.Add(version);
        return root;
    }

    private sealed record Common(
        Argument<string> Name,
        Option<string?> Kubeconfig,
        Option<string?> Context,
        Option<string> Namespace,
        Option<bool> DryRun,
        Option<string> WaitTimeout);

    private static Common AddCommon(Command command)
    {
        var common = new Common(
            new Argument<string>("NAME") { Description = "The registry's name: names its Service, Deployment, Secrets and kubeconfig entry." },
            new Option<string?>("--kubeconfig") { Description = "The kubeconfig file of the host cluster (default: $KUBECONFIG, else ~/.kube/config). The kubeconfig entry is written there." },
            new Option<string?>("--host-cluster-context") { Description = "The kubeconfig context of the host cluster (default: the current context)." },
            new Option<string>("--cluster-registry-namespace") { Description = "The namespace everything is created in.", DefaultValueFactory = _ => "clusterregistry" },
            new Option<bool>("--dry-run") { Description = "Send nothing to the host cluster: init prints the manifests (-o yaml|json; Secret values redacted unless --dry-run-include-secrets), delete what it would remove." },
            new Option<string>("--wait-timeout") { Description = "How long each wait (load balancer address, pod, availability, namespace removal) may take, e.g. 90s, 5m.", DefaultValueFactory = _ => "3m" });
        command.Arguments.Add(common.Name);
        foreach (var o in new Option[] { common.Kubeconfig, common.Context, common.Namespace, common.DryRun, common.WaitTimeout }) command.Options.Add(o);
        return common;
    }

    private static HostOptions ReadCommon(ParseResult parse, Common common, Mode mode)
    {
        var name = parse.GetValue(common.Name)!;
        // The Service is named NAME, so NAME must be a DNS-1035 label; "-apiserver-credentials" must still fit 63.
        if (!Dns1035Label().IsMatch(name) || name.Length > 40)
            throw new UsageException($"NAME \"{name}\" must be at most 40 lower-case letters, digits and '-', starting with a letter and ending with a letter or digit (it names a Service)");
        var ns = parse.GetValue(common.Namespace)!;
        if (!Dns1035Label().IsMatch(ns) && !Regex.IsMatch(ns, "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$") || ns.Length > 63)
            throw new UsageException($"--cluster-registry-namespace \"{ns}\" is not a valid namespace name (lower-case letters, digits and '-', at most 63)");
        if (!Durations.TryParse(parse.GetValue(common.WaitTimeout)!, out var timeout))
            throw new UsageException($"--wait-timeout \"{parse.GetValue(common.WaitTimeout)}\" is not a duration such as 90s, 3m or 1h");
        return new HostOptions(mode, name, parse.GetValue(common.Kubeconfig), parse.GetValue(common.Context), ns, parse.GetValue(common.DryRun), timeout);
    }

    private static Command Init(Mode mode, TextWriter output, TextWriter errors, TimeProvider time)
    {
        var init = new Command("init", mode == Mode.Standalone
            ? "Install a standalone cluster registry into the host cluster and add a kubeconfig entry for it. Running it again converges."
            : "Install a cluster registry behind the host's aggregation layer. Running it again converges.");
        var common = AddCommon(init);
        var image = new Option<string>("--image") { Description = "The registry's container image.", DefaultValueFactory = _ => DefaultImage };
        var pullPolicy = new Option<string>("--image-pull-policy") { Description = "Always, IfNotPresent or Never.", DefaultValueFactory = _ => "IfNotPresent" };
        var serviceType = new Option<string>("--api-server-service-type")
        {
            Description = "LoadBalancer or NodePort: how clients outside the host cluster reach the registry.",
            DefaultValueFactory = _ => mode == Mode.Standalone ? "LoadBalancer" : "NodePort",
        };
        var advertise = new Option<string?>("--api-server-advertise-address") { Description = "With NodePort: the IP clients use (default: the nodes' addresses); goes into the certificate and kubeconfig." };
        var port = new Option<int>("--api-server-port") { Description = "With NodePort: the node port (default: one the host picks)." };
        var capacity = new Option<string>("--etcd-pv-capacity") { Description = "Size of the volume the embedded store lives on.", DefaultValueFactory = _ => "10Gi" };
        var storageClass = new Option<string?>("--etcd-pv-storage-class") { Description = "StorageClass of that volume (default: the cluster's default class)." };
        var persistent = new Option<bool>("--etcd-persistent-storage") { Description = "Keep the embedded store on a PersistentVolumeClaim; false keeps it in the pod (lost when the pod goes).", DefaultValueFactory = _ => true };
        var etcdServers = new Option<string?>("--etcd-servers") { Description = "Store the data in this etcd (comma-separated URLs) instead of the embedded store; crinit starts no etcd." };
        var postgres = new Option<string?>("--postgres-connection-string") { Description = "Store the data in PostgreSQL (Npgsql connection string); it goes into the credentials Secret, not the Deployment." };
        var overrides = new Option<string?>("--apiserver-arg-overrides") { Description = "Server flags to set or replace: \"--flag1=value1,--flag2=value2\"." };
        var outputFormat = new Option<string>("--output", "-o") { Description = "With --dry-run: yaml (multi-document) or json (a v1 List).", DefaultValueFactory = _ => "yaml" };
        var tokenAuth = new Option<bool>("--apiserver-enable-token-auth") { Description = "Also issue an admin bearer token (in the kubeconfig entry and the Secret's token.csv)." };
        var includeSecrets = new Option<bool>("--dry-run-include-secrets")
        {
            Description = "With --dry-run: print the Secrets' private keys, tokens and connection string instead of a placeholder (the output can then be applied as it is; keep it out of repositories and logs).",
        };
        var force = ForceOption(mode, "init");
        var etcdImage = new Option<string?>("--etcd-image") { Hidden = true };
        var basicAuth = new Option<bool>("--apiserver-enable-basic-auth") { Hidden = true };
        foreach (var o in new Option[] { image, pullPolicy, serviceType, advertise, port, capacity, storageClass, persistent, etcdServers, postgres, overrides, outputFormat, includeSecrets, etcdImage })
            init.Options.Add(o);
        if (force is not null) init.Options.Add(force);
        if (mode == Mode.Standalone)
        {
            init.Options.Add(tokenAuth);
            init.Options.Add(basicAuth);
        }

        init.SetAction(async (parse, ct) => await Guard(errors, async () =>
        {
            if (parse.GetResult(etcdImage) is { Implicit: false })
                throw new UsageException("--etcd-image is not supported: crinit no longer runs an unauthenticated etcd sidecar; the data is kept on a volume (default), or give --etcd-servers for your own etcd");
            if (mode == Mode.Standalone && parse.GetValue(basicAuth))
                throw new UsageException("--apiserver-enable-basic-auth is not supported: basic authentication was removed from Kubernetes (1.19); the kubeconfig entry uses a client certificate (add --apiserver-enable-token-auth for a token)");
            var host = ReadCommon(parse, common, mode) with { Force = force is not null && parse.GetValue(force) };
            if (parse.GetValue(includeSecrets) && !host.DryRun) throw new UsageException("--dry-run-include-secrets needs --dry-run");
            var options = ReadInit(parse, host, image, pullPolicy, serviceType, advertise, port, capacity, storageClass, persistent, etcdServers, postgres, overrides, outputFormat, mode == Mode.Standalone && parse.GetValue(tokenAuth));
            if (host.DryRun)
            {
                var withSecrets = parse.GetValue(includeSecrets);
                output.Write(DryRun.Render(options, time, withSecrets));
                errors.WriteLine("Dry run: nothing was sent to the host cluster and the kubeconfig was not changed. " + (withSecrets
                    ? "The output holds private keys and tokens: keep it out of repositories and logs. Apply with kubectl apply -f, then run init without --dry-run to add the kubeconfig entry."
                    : $"Secret values are replaced by \"{DryRun.Redacted}\": add --dry-run-include-secrets for output that can be applied as it is, or run init without --dry-run."));
                return 0;
            }
            await new InitRunner(options, output, time).RunAsync(ct);
            return 0;
        }));
        return init;
    }

    private static InitOptions ReadInit(ParseResult parse, HostOptions host, Option<string> image, Option<string> pullPolicy, Option<string> serviceType,
        Option<string?> advertise, Option<int> port, Option<string> capacity, Option<string?> storageClass, Option<bool> persistent,
        Option<string?> etcdServers, Option<string?> postgres, Option<string?> overrides, Option<string> outputFormat, bool tokenAuth)
    {
        var type = parse.GetValue(serviceType)!;
        if (type is not ("LoadBalancer" or "NodePort"))
            throw new UsageException($"--api-server-service-type must be LoadBalancer or NodePort (got \"{type}\")");
        IPAddress? address = null;
        if (parse.GetValue(advertise) is { } text)
        {
            if (!IPAddress.TryParse(text, out address)) throw new UsageException($"--api-server-advertise-address must be an IP address (got \"{text}\")");
            if (type != "NodePort") throw new UsageException("--api-server-advertise-address needs --api-server-service-type=NodePort (a load balancer brings its own address)");
        }
        var nodePort = parse.GetValue(port);
        if (nodePort is < 0 or > 65535) throw new UsageException($"--api-server-port must be between 0 and 65535 (got {nodePort})");
        if (nodePort != 0 && type != "NodePort") throw new UsageException("--api-server-port needs --api-server-service-type=NodePort");
        var policy = parse.GetValue(pullPolicy)!;
        if (policy is not ("Always" or "IfNotPresent" or "Never")) throw new UsageException($"--image-pull-policy must be Always, IfNotPresent or Never (got \"{policy}\")");
        var format = parse.GetValue(outputFormat)!;
        if (format is not ("yaml" or "json")) throw new UsageException($"--output must be yaml or json (got \"{format}\")");
        if (parse.GetResult(outputFormat) is { Implicit: false } && !host.DryRun) throw new UsageException("--output prints manifests and needs --dry-run");

        var etcd = (parse.GetValue(etcdServers) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var pg = parse.GetValue(postgres);
        if (etcd.Length > 0 && pg is not null) throw new UsageException("--etcd-servers and --postgres-connection-string exclude each other: choose one store");
        foreach (var server in etcd)
            if (!Uri.TryCreate(server, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https"))
                throw new UsageException($"--etcd-servers: \"{server}\" is not an http(s) URL such as https://etcd-0.etcd:2379");
        var volumeFlags = new Option[] { capacity, storageClass, persistent }.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
        if ((etcd.Length > 0 || pg is not null) && volumeFlags.Count > 0)
            throw new UsageException($"{string.Join(", ", volumeFlags)} set the embedded store's volume, which is not used with {(pg is null ? "--etcd-servers" : "--postgres-connection-string")}");
        var size = parse.GetValue(capacity)!;
        if (!Regex.IsMatch(size, @"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$"))
            throw new UsageException($"--etcd-pv-capacity \"{size}\" is not a quantity such as 10Gi");
        StorageChoice storage = etcd.Length > 0 ? new StorageChoice.Etcd(etcd)
            : pg is not null ? new StorageChoice.Postgres(pg)
            : new StorageChoice.Embedded(parse.GetValue(persistent), size, parse.GetValue(storageClass));

        IReadOnlyDictionary<string, string> argOverrides;
        try
        {
            argOverrides = ServerArguments.ParseOverrides(parse.GetValue(overrides));
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        return new InitOptions
        {
            Host = host,
            Image = parse.GetValue(image)!,
            ImagePullPolicy = policy,
            ServiceType = type,
            AdvertiseAddress = address,
            NodePort = nodePort,
            Storage = storage,
            ArgOverrides = argOverrides,
            EnableTokenAuth = tokenAuth,
            Output = format,
        };
    }

    private static Command Delete(Mode mode, TextWriter output, TextWriter errors)
    {
        var delete = new Command("delete", mode == Mode.Standalone
            ? "Remove the registry from the host cluster and its kubeconfig entry, reporting what was removed."
            : "Remove the APIService first, then the RBAC bindings and the registry, reporting what was removed.");
        var common = AddCommon(delete);
        var ignore = new Option<bool>("--ignore-errors") { Description = "Go on past a step that fails (it is reported) instead of stopping there." };
        delete.Options.Add(ignore);
        var force = ForceOption(mode, "delete");
        if (force is not null) delete.Options.Add(force);
        delete.SetAction(async (parse, ct) => await Guard(errors, async () =>
            await new DeleteRunner(ReadCommon(parse, common, mode) with { Force = force is not null && parse.GetValue(force) }, parse.GetValue(ignore), output).RunAsync(ct)));
        return delete;
    }

    /// <summary>
    /// Aggregated only: the APIService and the RBAC bindings have fixed names, so they may belong to another install
    /// (another NAME or namespace); crinit refuses to touch those unless forced.
    /// </summary>
    private static Option<bool>? ForceOption(Mode mode, string verb) => mode == Mode.Standalone ? null : new Option<bool>("--force")
    {
        Description = verb == "init"
            ? "Take over the APIService and RBAC bindings when another install (another NAME or namespace) owns them; that install stops being served."
            : "Also delete the APIService and RBAC bindings when another install owns them.",
    };

    /// <summary>Prints a failure as one "error: ..." line: exit 2 for a wrong command line, 1 for what went wrong on the way.</summary>
    private static async Task<int> Guard(TextWriter errors, Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (UsageException e)
        {
            errors.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (CrinitException e)
        {
            errors.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or YamlDotNet.Core.YamlException)
        {
            errors.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private sealed class UsageException(string message) : Exception(message);
}
