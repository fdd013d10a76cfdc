using System.Net;
using ClusterRegistry.Crinit.Cli;
using ClusterRegistry.Crinit.Manifests;
using k8s;

namespace ClusterRegistry.Crinit.Host;

/// <summary>Finds the address clients outside the host cluster use: the load balancer's, or a node's with the NodePort.</summary>
public static class EndpointResolver
{
    public static async Task<Endpoint> ResolveAsync(HostCluster host, Names names, InitOptions options, Waiter waiter, TextWriter output, CancellationToken ct)
    {
        if (options.ServiceType == "LoadBalancer")
        {
            Endpoint? found = null;
            await waiter.UntilAsync($"a load balancer address for service {names.Namespace}/{names.Service}", async token =>
            {
                var service = await host.CallAsync("read the service", c => c.CoreV1.ReadNamespacedServiceAsync(names.Service, names.Namespace, cancellationToken: token));
                var ingress = service.Status?.LoadBalancer?.Ingress ?? [];
                var ips = ingress.Select(i => i.Ip).Where(ip => !string.IsNullOrEmpty(ip)).Select(IPAddress.Parse).ToList();
                var hosts = ingress.Select(i => i.Hostname).Where(h => !string.IsNullOrEmpty(h)).ToList();
                if (ips.Count + hosts.Count == 0) return new Waiter.Probe(false, "no ingress address yet");
                found = new Endpoint(ips, hosts!, null);
                return new Waiter.Probe(true, "");
            }, "the host cluster may have no load-balancer controller (kind, minikube, bare metal): run init again with --api-server-service-type=NodePort --api-server-advertise-address=<an address of a node you can reach>", ct);
            return found!;
        }

        var svc = await host.CallAsync("read the service", c => c.CoreV1.ReadNamespacedServiceAsync(names.Service, names.Namespace, cancellationToken: ct));
        var nodePort = svc.Spec.Ports?.FirstOrDefault()?.NodePort;
        if (options.AdvertiseAddress is { } advertised) return new Endpoint([advertised], [], nodePort);
        var nodes = await host.CallAsync("list nodes (for their addresses)", c => c.CoreV1.ListNodeAsync(cancellationToken: ct));
        // Per node its first ExternalIP, else its first InternalIP, as the original chose.
        var addresses = nodes.Items
            .Select(n => n.Status?.Addresses?.FirstOrDefault(a => a.Type == "ExternalIP") ?? n.Status?.Addresses?.FirstOrDefault(a => a.Type == "InternalIP"))
            .Where(a => a is not null && IPAddress.TryParse(a.Address, out _))
            .Select(a => IPAddress.Parse(a!.Address))
            .ToList();
        if (addresses.Count == 0)
        {
            if (options.Host.Mode == Mode.Standalone)
                throw new CrinitException("the host cluster lists no node with an address to reach the NodePort at: give --api-server-advertise-address=<IP clients can reach>");
            output.WriteLine("  no node address found: the kubeconfig entry is not written (use the host context: the registry is served through the host's API server)");
            return Endpoint.None;
        }
        return new Endpoint(addresses, [], nodePort);
    }
}
