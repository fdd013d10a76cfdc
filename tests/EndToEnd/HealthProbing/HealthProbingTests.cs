using System.Net;
using System.Text.Json;
using ClusterRegistry.Tests.EndToEnd.Backends;
using ClusterRegistry.Tests.EndToEnd.Http;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.HealthProbing;

/// <summary>
/// The health prober of a real server process (embedded store) against HTTPS endpoints the test runs on loopback:
/// hysteresis both ways, a stopped endpoint, a swapped certificate and re-pinning, and what it writes.
/// </summary>
public sealed class HealthProbingTests : IAsyncLifetime
{
    private ServerProcess _server = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await ServerProcess.StartAsync(null, null, Probing.Flags("127.0.0.0/8"));
        _client = _server.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task ReadyEndpoint_ReadyTrue_WithVersionPinAndTheProbersOwnFieldManager_NoCredentialsSent()
    {
        await using var endpoint = await FakeClusterEndpoint.StartAsync();
        var name = Api.UniqueName("probe-ok");
        await Api.CreateAsync(_client, Probing.Cluster(name, endpoint.ServerAddress, endpoint.CaPem));

        var cluster = await Probing.WaitForAsync(_client, name, c => Probing.ConditionStatus(c, "Ready") == "True", "Ready=True");
        Assert.Equal("EndpointReady", Probing.Reason(cluster, "Ready"));
        Assert.Equal(FakeClusterEndpoint.GitVersion, cluster.GetProperty("status").GetProperty("version").GetProperty("kubernetes").GetString());
        Assert.Equal("False", Probing.ConditionStatus(cluster, "IdentityMismatch"));
        var expectedPin = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            new System.Security.Cryptography.X509Certificates.X509Certificate2(
                System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(endpoint.CaPem)).RawData));
        Assert.NotEqual(expectedPin, Probing.Pin(cluster)); // the leaf is pinned, not the CA
        Assert.Matches("^[0-9a-f]{64}$", Probing.Pin(cluster)!);
        Assert.True(Probing.Condition(cluster, "Ready")!.Value.TryGetProperty("lastHeartbeatTime", out _));
        var managers = cluster.GetProperty("metadata").GetProperty("managedFields").EnumerateArray()
            .Where(m => m.GetProperty("manager").GetString() == Probing.Manager).Select(m => m.TryGetProperty("subresource", out var s) ? s.GetString() : "").ToList();
        Assert.Contains("status", managers);
        Assert.Equal(0, endpoint.Credentialed);
    }

    [Fact]
    public async Task Hysteresis_FewerThanKFailuresKeepReady_KFailuresTurnItFalse_KSuccessesBack()
    {
        await using var endpoint = await FakeClusterEndpoint.StartAsync();
        var name = Api.UniqueName("probe-k");
        await Api.CreateAsync(_client, Probing.Cluster(name, endpoint.ServerAddress, endpoint.CaPem));
        var ready = await Probing.WaitForAsync(_client, name, c => Probing.ConditionStatus(c, "Ready") == "True", "Ready=True");
        await using var watch = await WatchRecorder.OpenAsync(_server, $"resourceVersion={Api.ResourceVersion(ready)}&fieldSelector=metadata.name%3D{name}");

        // One failure (K = 2): Ready stays True through it and the successes after it.
        endpoint.FailNext(1);
        var okBefore = endpoint.ReadyzOk;
        await Probing.WaitUntilAsync(() => Task.FromResult(endpoint.ReadyzFailed >= 1 && endpoint.ReadyzOk >= okBefore + 3), "one failure, then three successes");
        var cluster = await Api.GetAsync(_client, name);
        Assert.Equal("True", Probing.ConditionStatus(cluster, "Ready"));

        // Failing for good: False, but only once K failures were served.
        endpoint.Failing = true;
        var failedBefore = endpoint.ReadyzFailed;
        cluster = await Probing.WaitForAsync(_client, name, c => Probing.ConditionStatus(c, "Ready") == "False", "Ready=False");
        Assert.True(endpoint.ReadyzFailed - failedBefore >= 2, $"Ready turned False after {endpoint.ReadyzFailed - failedBefore} failures (K = 2)");
        Assert.Equal("EndpointNotReady", Probing.Reason(cluster, "Ready"));
        Assert.Contains("500", Probing.Condition(cluster, "Ready")!.Value.GetProperty("message").GetString());

        endpoint.Failing = false;
        okBefore = endpoint.ReadyzOk;
        await Probing.WaitForAsync(_client, name, c => Probing.ConditionStatus(c, "Ready") == "True", "Ready=True again");
        Assert.True(endpoint.ReadyzOk - okBefore >= 2, $"Ready turned True after {endpoint.ReadyzOk - okBefore} successes (K = 2)");

        // From True, the watch saw exactly False then True: nothing on the single failure.
        await watch.WaitAsync(events => WatchRecorder.ObjectEvents(events).Any(e => Probing.ConditionStatus(e.Object, "Ready") == "True"), TimeSpan.FromSeconds(30));
        var readySeen = WatchRecorder.ObjectEvents(watch.Events).Select(e => Probing.ConditionStatus(e.Object, "Ready")).ToList();
        var transitions = readySeen.Where((s, i) => i == 0 || s != readySeen[i - 1]).ToList();
        Assert.Equal(["False", "True"], transitions);
    }

    [Fact]
    public async Task StoppedEndpoint_ReadyFalse_Unreachable()
    {
        var endpoint = await FakeClusterEndpoint.StartAsync();
        var name = Api.UniqueName("probe-stop");
        await Api.CreateAsync(_client, Probing.Cluster(name, endpoint.ServerAddress, endpoint.CaPem));
        await Probing.WaitForAsync(_client, name, c => Probing.ConditionStatus(c, "Ready") == "True", "Ready=True");
        await endpoint.StopAsync();

        var cluster = await Probing.WaitForAsync(_client, name, c => Probing.ConditionStatus(c, "Ready") == "False", "Ready=False");
        Assert.Equal("EndpointUnreachable", Probing.Reason(cluster, "Ready"));
        // The version last reported stays: it is what the cluster said when it answered.
        Assert.Equal(FakeClusterEndpoint.GitVersion, cluster.GetProperty("status").GetProperty("version").GetProperty("kubernetes").GetString());
    }

    [Fact]
    public async Task SwappedCertificate_IdentityMismatch_UntilThePinIsRemoved()
    {
        await using var endpoint = await FakeClusterEndpoint.StartAsync();
        var name = Api.UniqueName("probe-pin");
        await Api.CreateAsync(_client, Probing.Cluster(name, endpoint.ServerAddress, endpoint.CaPem));
        var first = await Probing.WaitForAsync(_client, name, c => Probing.ConditionStatus(c, "Ready") == "True" && Probing.Pin(c) is not null, "Ready=True, pinned");
        var pin = Probing.Pin(first);

        // Same CA, so TLS alone would accept it: only the pin tells it is not the certificate registered.
        endpoint.SwapCertificate();
        var mismatched = await Probing.WaitForAsync(_client, name, c => Probing.ConditionStatus(c, "IdentityMismatch") == "True", "IdentityMismatch=True");
        Assert.Equal("CertificateChanged", Probing.Reason(mismatched, "IdentityMismatch"));
        Assert.Equal(pin, Probing.Pin(mismatched));
        mismatched = await Probing.WaitForAsync(_client, name, c => Probing.ConditionStatus(c, "Ready") == "False", "Ready=False");
        Assert.Equal("IdentityMismatch", Probing.Reason(mismatched, "Ready"));

        // Re-pinning is the user's act: removing the annotation.
        await Api.PatchAsync(_client, Api.Item(name), "{\"metadata\":{\"annotations\":{\"" + Probing.PinAnnotation + "\":null}}}");
        var repinned = await Probing.WaitForAsync(_client, name,
            c => Probing.Pin(c) is { } p && p != pin && Probing.ConditionStatus(c, "IdentityMismatch") == "False" && Probing.ConditionStatus(c, "Ready") == "True",
            "re-pinned, IdentityMismatch=False, Ready=True");
        Assert.Equal("CertificateMatchesPin", Probing.Reason(repinned, "IdentityMismatch"));
    }

    [Fact]
    public async Task UntrustedCertificate_NeverReady_NotPinned()
    {
        await using var endpoint = await FakeClusterEndpoint.StartAsync();
        var name = Api.UniqueName("probe-ca");
        // Registered with another CA: the endpoint's certificate does not verify.
        await Api.CreateAsync(_client, Probing.Cluster(name, endpoint.ServerAddress, TestPki.CreateCa("other-ca").CaPem));
        var cluster = await Probing.WaitForAsync(_client, name, c => Probing.ConditionStatus(c, "Ready") == "False", "Ready=False");
        Assert.Equal("CertificateNotTrusted", Probing.Reason(cluster, "Ready"));
        Assert.Null(Probing.Pin(cluster));
        Assert.Equal(0, endpoint.ReadyzOk + endpoint.ReadyzFailed);
    }

    [Fact]
    public async Task ClusterDeletedWhileProbed_StaysDeleted_AndOneRecreatedUnderTheName_GetsNoStalePin()
    {
        await using var slow = await FakeClusterEndpoint.StartAsync();
        await using var other = await FakeClusterEndpoint.StartAsync();
        var name = Api.UniqueName("probe-del");

        // Deleted while its probe waits at the endpoint: the prober's pin write must not re-create it.
        slow.Hold();
        await Api.CreateAsync(_client, Probing.Cluster(name, slow.ServerAddress, slow.CaPem));
        await Probing.WaitUntilAsync(() => Task.FromResult(slow.Held > 0), "a probe waiting at the slow endpoint");
        var refused = await RefusalsAsync();
        (await _client.DeleteAsync(Api.Item(name))).EnsureSuccessStatusCode();
        slow.Release();
        await Probing.WaitUntilAsync(async () => await RefusalsAsync() > refused || await ExistsAsync(name),
            "the prober's write refused (or the deleted cluster re-created)");
        Assert.True(slow.ReadyzOk > 0, "the held probe was answered within the probe timeout");
        await Api.AssertAbsentAsync(_client, name);

        // Deleted and re-created under the name with another endpoint while the old one is probed: no stale pin.
        var held = slow.Held;
        slow.Hold();
        await Api.CreateAsync(_client, Probing.Cluster(name, slow.ServerAddress, slow.CaPem));
        await Probing.WaitUntilAsync(() => Task.FromResult(slow.Held > held), "a probe waiting at the slow endpoint");
        refused = await RefusalsAsync();
        (await _client.DeleteAsync(Api.Item(name))).EnsureSuccessStatusCode();
        await Api.CreateAsync(_client, Probing.Cluster(name, other.ServerAddress, other.CaPem));
        slow.Release();
        await Probing.WaitUntilAsync(async () => await RefusalsAsync() > refused, "the prober's write to the replaced cluster refused");
        var cluster = await Probing.WaitForAsync(_client, name, c => Probing.ConditionStatus(c, "Ready") is "True" || Probing.ConditionStatus(c, "IdentityMismatch") is "True",
            "Ready=True or IdentityMismatch=True");
        Assert.Equal(other.Fingerprint, Probing.Pin(cluster));
        Assert.Equal("True", Probing.ConditionStatus(cluster, "Ready"));
        Assert.NotEqual(slow.Fingerprint, other.Fingerprint);
    }

    private Task<double> RefusalsAsync() => Probing.MetricAsync(_client, "clusterregistry_health_probe_write_refusals_total");

    private async Task<bool> ExistsAsync(string name)
    {
        using var response = await _client.GetAsync(Api.Item(name));
        return response.StatusCode == HttpStatusCode.OK;
    }
}
