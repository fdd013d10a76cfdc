using k8s;
using k8s.Models;

namespace ClusterRegistry.Tests.EndToEnd.Crinit;

/// <summary>
/// What a real cluster's other components would do, done by the test on the host's API: a load-balancer controller
/// filling a Service's ingress, and the kubelet reporting the registry's pod Running.
/// </summary>
public static class HostActors
{
    public static async Task<T> EventuallyAsync<T>(string what, Func<Task<T?>> probe, TimeSpan? timeout = null) where T : class
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (true)
        {
            try
            {
                if (await probe() is { } found) return found;
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
            }
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(200);
        }
    }

    /// <summary>Gives the Service a load-balancer address, as a cloud controller would.</summary>
    public static async Task AssignLoadBalancerAsync(IKubernetes host, string ns, string name, string ip)
    {
        await EventuallyAsync($"service {ns}/{name}", async () => await host.CoreV1.ReadNamespacedServiceAsync(name, ns));
        var patch = new V1Patch("{\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"" + ip + "\"}]}}}", V1Patch.PatchType.MergePatch);
        await host.CoreV1.PatchNamespacedServiceStatusAsync(patch, name, ns);
    }

    /// <summary>Waits for the Deployment's pod (made by the host's controllers) and reports it Running, as its kubelet would.</summary>
    public static async Task<V1Pod> MarkPodRunningAsync(IKubernetes host, string ns)
    {
        var pod = await EventuallyAsync($"a registry pod in {ns}", async () =>
            (await host.CoreV1.ListNamespacedPodAsync(ns, labelSelector: "app=clusterregistry,module=clusterregistry-apiserver")).Items.FirstOrDefault());
        var patch = new V1Patch("""{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}""", V1Patch.PatchType.MergePatch);
        return await host.CoreV1.PatchNamespacedPodStatusAsync(patch, pod.Metadata.Name, ns);
    }
}
