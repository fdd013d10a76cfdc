using System.Net;
using System.Text.Json;
using ClusterRegistry.Tests.EndToEnd.KubectlSuite;

namespace ClusterRegistry.Tests.EndToEnd.Deploy;

/// <summary>
/// The container image as a user runs it (README's docker run line): kubectl on the host with the kubeconfig the
/// server wrote into its volume, through a published loopback port named by --external-url.
/// </summary>
[Requires(Prerequisite.Docker)]
public sealed class ContainerImageTests(ContainerImageFixture fx) : IClassFixture<ContainerImageFixture>
{
    [Fact]
    public async Task Kubectl_Works_AndData_SurvivesRestart_AndANewContainerOnTheVolume()
    {
        var kubeconfig = await fx.CopyKubeconfigAsync("kubeconfig-first");
        Assert.Contains($"server: {fx.ExternalUrl}\n", await File.ReadAllTextAsync(kubeconfig));
        var kubectl = fx.Kubectl(kubeconfig);
        var first = ClusterManifests.UniqueName("img");
        await Ok(kubectl, "create -f -", ClusterManifests.Cluster(first));
        var uid = await Ok(kubectl, $"get cluster {first} -o jsonpath={{.metadata.uid}}");
        Assert.NotEmpty(uid);

        // Same container restarted: the token and certificate are kept, so the kubeconfig copied before still works.
        await fx.RestartAsync();
        Assert.Equal(uid, await Ok(kubectl, $"get cluster {first} -o jsonpath={{.metadata.uid}}"));
        var second = ClusterManifests.UniqueName("img");
        await Ok(kubectl, "create -f -", ClusterManifests.Cluster(second));

        // A new container on the same volume, told another external address: the generated certificate lacks it,
        // so it is regenerated and the rewritten kubeconfig (new address, new CA, same token) verifies against it.
        await fx.RemoveAsync();
        await fx.StartAsync("127.0.0.3");
        var replaced = await fx.CopyKubeconfigAsync("kubeconfig-replaced");
        Assert.Contains($"server: {fx.ExternalUrl}\n", await File.ReadAllTextAsync(replaced));
        var again = fx.Kubectl(replaced);
        Assert.Equal(uid, await Ok(again, $"get cluster {first} -o jsonpath={{.metadata.uid}}"));
        var names = await Ok(again, "get clusters -o name");
        Assert.Contains($"cluster.clusterregistry.k8s.io/{second}", names);
    }

    [Fact]
    public async Task Server_RunsAsTheNonRootUser()
    {
        Assert.Equal("65532:65532", await DockerCli.CheckedAsync("inspect", "--format", "{{.Config.User}}", fx.Container));
        // The process as the host's kernel sees it (ps on the daemon's host), not just the configured user.
        var top = await DockerCli.CheckedAsync("top", fx.Container, "-o", "pid,uid,comm");
        var processes = top.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.NotEmpty(processes);
        Assert.All(processes, p => Assert.Equal("65532", p[1]));
        Assert.Contains(processes, p => p[2] == "clusterregistry");
    }

    [Fact]
    public async Task Probes_AreOpen_AndVersion_IsServed_ByTheSingleFileBinary()
    {
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var http = new HttpClient(handler);
        foreach (var probe in new[] { "/livez", "/readyz" })
        {
            using var response = await http.GetAsync(fx.ExternalUrl + probe);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var kubectl = fx.Kubectl(await fx.CopyKubeconfigAsync("kubeconfig-version"));
        using var version = JsonDocument.Parse(await Ok(kubectl, "version -o json"));
        var server = version.RootElement.GetProperty("serverVersion");
        Assert.Contains("clusterregistry", server.GetProperty("gitVersion").GetString());
        // The single-file executable has no assembly file: the date comes from the executable, not year 1601.
        var buildDate = DateTime.Parse(server.GetProperty("buildDate").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(buildDate.Year >= 2024, $"buildDate {buildDate:O}");
    }

    private static async Task<string> Ok(Infrastructure.Kubectl kubectl, string args, string? stdin = null)
    {
        var r = await kubectl.RunAsync(args, stdin);
        Assert.True(r.ExitCode == 0, $"kubectl {args}\n{r}");
        return r.Stdout.Trim();
    }
}
