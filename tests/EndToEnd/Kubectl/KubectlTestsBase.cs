using System.Text.Json;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using static ClusterRegistry.Tests.EndToEnd.KubectlSuite.ClusterManifests;

namespace ClusterRegistry.Tests.EndToEnd.KubectlSuite;

/// <summary>
/// The kubectl end-to-end suite: every test drives the real server process with a real kubectl binary.
/// Concrete subclasses pick the binary (1.32 or 1.20); each class gets its own server through the fixture.
/// Objects are arranged with <see cref="KubectlServerFixture.Setup"/> (kubectl 1.32) unless the command under
/// test is the one that creates them, so one broken command does not fail every other test.
/// </summary>
public abstract class KubectlTestsBase(KubectlServerFixture fixture, string binary)
{
    /// <summary>The kubectl under test.</summary>
    protected KubectlClient K => fixture.For(binary);

    /// <summary>kubectl 1.32, to arrange and inspect objects independently of the kubectl under test.</summary>
    protected KubectlClient Setup => fixture.Setup;

    /// <summary>kubectl 1.20 predates <c>--subresource</c> (added in 1.24).</summary>
    protected abstract bool HasSubresourceFlag { get; }

    // ---------------------------------------------------------------- discovery and version

    [Fact]
    public async Task ApiResources_ClusterRegistryGroup_ListsClusterScopedKindClusterWithShortNameClu()
    {
        var r = await K.RunAsync("api-resources --api-group=clusterregistry.k8s.io");

        AssertSucceeded(r);
        Assert.Equal(["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"], Header(r.Stdout));
        Assert.Equal(["clusters", "clu", ApiVersion, "false", "Cluster"], Row(r.Stdout, "clusters") ?? []);
    }

    [Fact]
    public async Task Version_AgainstServer_PrintsServerVersionWithoutParseErrorOrWarning()
    {
        var text = await K.RunAsync("version");
        var json = await K.RunAsync("version -o json");

        AssertSucceeded(text);
        Assert.Contains("Server Version", text.Stdout);
        Assert.DoesNotContain("error", text.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("warning", text.Stderr, StringComparison.OrdinalIgnoreCase);
        AssertSucceeded(json);
        using var doc = JsonDocument.Parse(json.Stdout);
        var server = doc.RootElement.GetProperty("serverVersion");
        Assert.Equal("1", server.GetProperty("major").GetString());
        Assert.False(string.IsNullOrEmpty(server.GetProperty("minor").GetString()));
        Assert.StartsWith("v1.", server.GetProperty("gitVersion").GetString());
    }

    // ---------------------------------------------------------------- create / apply

    [Fact]
    public async Task Create_NewCluster_PrintsCreatedAndStoresIt()
    {
        var name = UniqueName("create");

        var r = await K.RunAsync("create -f -", Cluster(name, "198.51.100.1:6443"));

        AssertSucceeded(r);
        Assert.Contains($"cluster.clusterregistry.k8s.io/{name} created", r.Stdout);
        var get = await Setup.RunAsync($"get clusters {name} -o jsonpath='{{.spec.kubernetesApiEndpoints.serverEndpoints[0].serverAddress}}'");
        AssertSucceeded(get);
        Assert.Equal("198.51.100.1:6443", get.Stdout);
    }

    [Fact]
    public async Task Create_DuplicateName_FailsWithAlreadyExists()
    {
        var name = UniqueName("dup");
        await ArrangeAsync(Cluster(name));

        var r = await K.RunAsync("create -f -", Cluster(name));

        AssertFailed(r);
        Assert.Contains("AlreadyExists", r.Stderr);
        Assert.Contains($"clusters.clusterregistry.k8s.io \"{name}\" already exists", r.Stderr);
    }

    [Fact]
    public async Task Create_InvalidName_FailsAsInvalidOnMetadataName()
    {
        var r = await K.RunAsync("create -f -", Cluster("Bad_Name"));

        AssertFailed(r);
        Assert.Contains("is invalid", r.Stderr);
        Assert.Contains("metadata.name", r.Stderr);
        Assert.Contains("Bad_Name", r.Stderr);
        var get = await Setup.RunAsync("get clusters Bad_Name");
        AssertFailed(get);
    }

    [Fact]
    public async Task Apply_SameFileTwiceThenChangedFile_ReportsCreatedUnchangedConfigured()
    {
        var name = UniqueName("apply");
        var original = Cluster(name, "apply.example.com:6443", "10.0.0.0/8", new Dictionary<string, string> { ["env"] = "prod" });
        var changed = Cluster(name, "apply2.example.com:6443", "10.0.0.0/8", new Dictionary<string, string> { ["env"] = "prod" });

        var created = await K.RunAsync("apply -f -", original);
        var unchanged = await K.RunAsync("apply -f -", original);
        var configured = await K.RunAsync("apply -f -", changed);

        AssertSucceeded(created);
        Assert.Contains($"cluster.clusterregistry.k8s.io/{name} created", created.Stdout);
        AssertSucceeded(unchanged);
        Assert.Contains($"cluster.clusterregistry.k8s.io/{name} unchanged", unchanged.Stdout);
        AssertSucceeded(configured);
        Assert.Contains($"cluster.clusterregistry.k8s.io/{name} configured", configured.Stdout);
        var get = await Setup.RunAsync($"get clusters {name} -o jsonpath='{{.spec.kubernetesApiEndpoints.serverEndpoints[0].serverAddress}}'");
        Assert.Equal("apply2.example.com:6443", get.Stdout);
    }

    /// <summary>
    /// The original cluster-registry user guide's "Try it out!" example, verbatim, spells the field <c>clientCidr</c>.
    /// kubectl's own validation from the OpenAPI v2 document (1.20) rejects the misspelling before the server sees
    /// it, so validation is off: this is about what the server does with such a manifest (ADR-007).
    /// </summary>
    [Fact]
    public async Task Apply_UserGuideExampleWithClientCidr_IsCreatedAndReadBackAsClientCIDR()
    {
        const string userGuideExample = """
            kind: Cluster
            apiVersion: clusterregistry.k8s.io/v1alpha1
            metadata:
              name: test-cluster
            spec:
              kubernetesApiEndpoints:
                serverEndpoints:
                  - clientCidr: "0.0.0.0/0"
                    serverAddress: "100.0.0.0"

            """;

        var apply = await K.RunAsync("apply --validate=false -f -", userGuideExample);
        var json = await K.RunAsync("get clusters test-cluster -o json");
        var table = await K.RunAsync("get clusters");

        AssertSucceeded(apply);
        Assert.Contains("cluster.clusterregistry.k8s.io/test-cluster created", apply.Stdout);
        AssertSucceeded(json);
        using var doc = JsonDocument.Parse(json.Stdout);
        var endpoint = doc.RootElement.GetProperty("spec").GetProperty("kubernetesApiEndpoints").GetProperty("serverEndpoints")[0];
        Assert.Equal(["clientCIDR", "serverAddress"], endpoint.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal("0.0.0.0/0", endpoint.GetProperty("clientCIDR").GetString());
        Assert.Equal("100.0.0.0", endpoint.GetProperty("serverAddress").GetString());
        AssertSucceeded(table);
        Assert.Equal(["test-cluster", "100.0.0.0", "0.0.0.0/0"], Row(table.Stdout, "test-cluster")?.Take(3));
    }

    // ---------------------------------------------------------------- get: output formats

    [Fact]
    public async Task Get_DefaultOutput_PrintsNameServerCidrAgeTable()
    {
        var name = UniqueName("table");
        await ArrangeAsync(Cluster(name, "table.example.com:6443", "192.168.0.0/16"));

        var list = await K.RunAsync("get clusters");
        var single = await K.RunAsync($"get cluster {name}");

        AssertSucceeded(list);
        Assert.Equal(["NAME", "SERVER", "CIDR", "AGE"], Header(list.Stdout));
        var row = Row(list.Stdout, name);
        Assert.NotNull(row);
        Assert.Equal([name, "table.example.com:6443", "192.168.0.0/16"], row.Take(3));
        Assert.Equal(4, row.Length);
        Assert.True(IsAge(row[3]), $"AGE cell '{row[3]}' is not a kubectl age\n{list}");
        AssertSucceeded(single);
        Assert.Equal(["NAME", "SERVER", "CIDR", "AGE"], Header(single.Stdout));
        Assert.Equal([name, "table.example.com:6443", "192.168.0.0/16"], Row(single.Stdout, name)?.Take(3));
    }

    [Fact]
    public async Task Get_WideOutput_AddsReadyColumn()
    {
        var name = UniqueName("wide");
        await ArrangeAsync(Cluster(name));

        var r = await K.RunAsync($"get clusters {name} -o wide");

        AssertSucceeded(r);
        Assert.Equal(["NAME", "SERVER", "CIDR", "AGE", "READY"], Header(r.Stdout).Take(5));
        Assert.Equal(name, Row(r.Stdout, name)?[0]);
    }

    [Fact]
    public async Task Get_YamlOutput_PrintsFullObjectWithCanonicalFieldNames()
    {
        var name = UniqueName("yaml");
        await ArrangeAsync(Cluster(name, "yaml.example.com", "172.16.0.0/12"));

        var r = await K.RunAsync($"get cluster {name} -o yaml");

        AssertSucceeded(r);
        Assert.Contains("apiVersion: clusterregistry.k8s.io/v1alpha1", r.Stdout);
        Assert.Contains("kind: Cluster", r.Stdout);
        Assert.Contains($"  name: {name}", r.Stdout);
        Assert.Contains("  resourceVersion: ", r.Stdout);
        Assert.Contains("  uid: ", r.Stdout);
        Assert.Contains("- clientCIDR: 172.16.0.0/12", r.Stdout);
        Assert.Contains("serverAddress: yaml.example.com", r.Stdout);
    }

    [Fact]
    public async Task Get_JsonOutput_PrintsObjectWithServerSetMetadata()
    {
        var name = UniqueName("json");
        await ArrangeAsync(Cluster(name, "json.example.com:443", "10.10.0.0/16"));

        var r = await K.RunAsync($"get cluster {name} -o json");

        AssertSucceeded(r);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        Assert.Equal("Cluster", root.GetProperty("kind").GetString());
        Assert.Equal(ApiVersion, root.GetProperty("apiVersion").GetString());
        var meta = root.GetProperty("metadata");
        Assert.Equal(name, meta.GetProperty("name").GetString());
        Assert.False(meta.TryGetProperty("namespace", out _));
        Assert.True(Guid.TryParse(meta.GetProperty("uid").GetString(), out _));
        Assert.False(string.IsNullOrEmpty(meta.GetProperty("resourceVersion").GetString()));
        Assert.Equal(1, meta.GetProperty("generation").GetInt64());
        Assert.Matches("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$", meta.GetProperty("creationTimestamp").GetString());
        var endpoint = root.GetProperty("spec").GetProperty("kubernetesApiEndpoints").GetProperty("serverEndpoints")[0];
        Assert.Equal("10.10.0.0/16", endpoint.GetProperty("clientCIDR").GetString());
        Assert.Equal("json.example.com:443", endpoint.GetProperty("serverAddress").GetString());
    }

    [Fact]
    public async Task Get_NameOutput_PrintsGroupQualifiedResourceSlashName()
    {
        var name = UniqueName("oname");
        await ArrangeAsync(Cluster(name));

        var full = await K.RunAsync($"get clusters {name} -o name");
        var shortName = await K.RunAsync($"get clu {name} -o name");
        var qualified = await K.RunAsync($"get clusters.clusterregistry.k8s.io {name} -o name");

        foreach (var r in new[] { full, shortName, qualified })
        {
            AssertSucceeded(r);
            Assert.Equal($"cluster.clusterregistry.k8s.io/{name}", r.Stdout.Trim());
        }
    }

    [Fact]
    public async Task Get_JsonPathOutput_PrintsSelectedFields()
    {
        var name = UniqueName("jp");
        await ArrangeAsync(Cluster(name, "jsonpath.example.com:6443", "10.20.0.0/16"));

        var r = await K.RunAsync(
            $"get cluster {name} -o jsonpath='{{.metadata.name}} {{.spec.kubernetesApiEndpoints.serverEndpoints[0].serverAddress}} {{.spec.kubernetesApiEndpoints.serverEndpoints[0].clientCIDR}}'");

        AssertSucceeded(r);
        Assert.Equal($"{name} jsonpath.example.com:6443 10.20.0.0/16", r.Stdout);
    }

    [Fact]
    public async Task Get_CustomColumnsOutput_PrintsRequestedColumns()
    {
        var name = UniqueName("cc");
        await ArrangeAsync(Cluster(name, "custom.example.com:6443"));

        var r = await K.RunAsync(
            $"get cluster {name} -o custom-columns='N:.metadata.name,ADDR:.spec.kubernetesApiEndpoints.serverEndpoints[0].serverAddress,GEN:.metadata.generation'");

        AssertSucceeded(r);
        Assert.Equal(["N", "ADDR", "GEN"], Header(r.Stdout));
        Assert.Equal([name, "custom.example.com:6443", "1"], Row(r.Stdout, name) ?? []);
    }

    [Fact]
    public async Task Get_SortByMetadataName_PrintsRowsInNameOrder()
    {
        var suite = UniqueSuite();
        var labels = new Dictionary<string, string> { ["suite"] = suite };
        // Created out of name order.
        await ArrangeAsync(Cluster($"{suite}-c", labels: labels));
        await ArrangeAsync(Cluster($"{suite}-a", labels: labels));
        await ArrangeAsync(Cluster($"{suite}-b", labels: labels));

        var r = await K.RunAsync($"get clusters -l suite={suite} --sort-by=.metadata.name");

        AssertSucceeded(r);
        Assert.Equal([$"{suite}-a", $"{suite}-b", $"{suite}-c"], FirstColumn(r.Stdout));
    }

    [Fact]
    public async Task Get_SortByServerAddress_PrintsRowsInThatOrderNotNameOrder()
    {
        var suite = UniqueSuite();
        var labels = new Dictionary<string, string> { ["suite"] = suite };
        await ArrangeAsync(Cluster($"{suite}-a", "c.example.com", labels: labels));
        await ArrangeAsync(Cluster($"{suite}-b", "a.example.com", labels: labels));
        await ArrangeAsync(Cluster($"{suite}-c", "b.example.com", labels: labels));

        var r = await K.RunAsync($"get clusters -l suite={suite} --sort-by='.spec.kubernetesApiEndpoints.serverEndpoints[0].serverAddress'");

        AssertSucceeded(r);
        Assert.Equal(["NAME", "SERVER", "CIDR", "AGE"], Header(r.Stdout));
        Assert.Equal([$"{suite}-b", $"{suite}-c", $"{suite}-a"], FirstColumn(r.Stdout));
    }

    [Fact]
    public async Task Get_ShowLabels_AddsLabelsColumn()
    {
        var name = UniqueName("showlbl");
        await ArrangeAsync(Cluster(name, labels: new Dictionary<string, string> { ["env"] = "prod", ["team"] = "blue" }));
        var plain = UniqueName("nolbl");
        await ArrangeAsync(Cluster(plain));

        var r = await K.RunAsync("get clusters --show-labels");

        AssertSucceeded(r);
        Assert.Equal(["NAME", "SERVER", "CIDR", "AGE", "LABELS"], Header(r.Stdout));
        Assert.Equal("env=prod,team=blue", Row(r.Stdout, name)?[^1]);
        Assert.Equal("<none>", Row(r.Stdout, plain)?[^1]);
    }

    [Fact]
    public async Task Describe_Cluster_PrintsMetadataAndSpec()
    {
        var name = UniqueName("desc");
        await ArrangeAsync(Cluster(name, "describe.example.com:6443", "10.30.0.0/16", new Dictionary<string, string> { ["env"] = "prod" }));

        var r = await K.RunAsync($"describe cluster {name}");

        AssertSucceeded(r);
        Assert.Matches($"(?m)^Name: +{name}$", r.Stdout);
        Assert.Matches("(?m)^Labels: +env=prod$", r.Stdout);
        Assert.Matches("(?m)^Kind: +Cluster$", r.Stdout);
        Assert.Matches("(?m)^ +Client CIDR: +10\\.30\\.0\\.0/16$", r.Stdout);
        Assert.Matches("(?m)^ +Server Address: +describe\\.example\\.com:6443$", r.Stdout);
    }

    // ---------------------------------------------------------------- get: selectors and paging

    /// <summary>
    /// Objects: a (env=prod, tier=2), b (env=dev, tier=7), c (no env, no tier). kubectl passes every selector
    /// through to the server (it does not parse them), including the set-based and the integer gt/lt forms.
    /// </summary>
    [Theory]
    [InlineData("env=prod", "a")]
    [InlineData("env==prod", "a")]
    [InlineData("env!=prod", "b,c")]
    [InlineData("env in (prod,dev)", "a,b")]
    [InlineData("env notin (prod,dev)", "c")]
    [InlineData("env", "a,b")]
    [InlineData("!env", "c")]
    [InlineData("tier>1", "a,b")]
    [InlineData("tier<5", "a")]
    [InlineData("env in (prod,dev),tier>5", "b")]
    public async Task Get_LabelSelector_ReturnsOnlyMatchingClusters(string selector, string expected)
    {
        var suite = UniqueSuite();
        await ArrangeAsync(Documents(
        [
            Cluster($"{suite}-a", labels: new Dictionary<string, string> { ["suite"] = suite, ["env"] = "prod", ["tier"] = "2" }),
            Cluster($"{suite}-b", labels: new Dictionary<string, string> { ["suite"] = suite, ["env"] = "dev", ["tier"] = "7" }),
            Cluster($"{suite}-c", labels: new Dictionary<string, string> { ["suite"] = suite }),
        ]));

        var r = await K.RunAsync($"get clusters -l 'suite={suite},{selector}' -o name");

        AssertSucceeded(r);
        Assert.Equal(
            expected.Split(',').Select(x => $"cluster.clusterregistry.k8s.io/{suite}-{x}"),
            Lines(r.Stdout).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Get_LabelSelectorMatchingNothing_PrintsNoResourcesFound()
    {
        var r = await K.RunAsync($"get clusters -l suite={UniqueSuite()}");

        AssertSucceeded(r);
        Assert.Equal("", r.Stdout.Trim());
        Assert.Contains("No resources found", r.Stderr);
    }

    [Fact]
    public async Task Get_FieldSelectorMetadataName_ReturnsOnlyThatCluster()
    {
        var suite = UniqueSuite();
        var labels = new Dictionary<string, string> { ["suite"] = suite };
        await ArrangeAsync(Documents([Cluster($"{suite}-one", labels: labels), Cluster($"{suite}-two", labels: labels)]));

        var byName = await K.RunAsync($"get clusters --field-selector metadata.name={suite}-two -o name");
        var excluded = await K.RunAsync($"get clusters -l suite={suite} --field-selector metadata.name!={suite}-two -o name");

        AssertSucceeded(byName);
        Assert.Equal([$"cluster.clusterregistry.k8s.io/{suite}-two"], Lines(byName.Stdout));
        AssertSucceeded(excluded);
        Assert.Equal([$"cluster.clusterregistry.k8s.io/{suite}-one"], Lines(excluded.Stdout));
    }

    [Fact]
    public async Task Get_FieldSelectorOnUnsupportedField_FailsWithBadRequest()
    {
        var r = await K.RunAsync("get clusters --field-selector spec.foo=bar");

        AssertFailed(r);
        Assert.Contains("BadRequest", r.Stderr);
        Assert.Contains("spec.foo", r.Stderr);
    }

    [Fact]
    public async Task Get_ChunkSizeOne_ReturnsEveryCluster()
    {
        var suite = UniqueSuite();
        var labels = new Dictionary<string, string> { ["suite"] = suite };
        string[] names = [$"{suite}-1", $"{suite}-2", $"{suite}-3", $"{suite}-4"];
        await ArrangeAsync(Documents(names.Select(n => Cluster(n, labels: labels))));
        var everything = await Setup.RunAsync("get clusters -o name");
        AssertSucceeded(everything);

        var chunkedAll = await K.RunAsync("get clusters --chunk-size=1 -o name");
        var chunkedSelected = await K.RunAsync($"get clusters --chunk-size=1 -l suite={suite}");

        AssertSucceeded(chunkedAll);
        Assert.Equal(Lines(everything.Stdout).Order(StringComparer.Ordinal), Lines(chunkedAll.Stdout).Order(StringComparer.Ordinal));
        AssertSucceeded(chunkedSelected);
        Assert.Equal(["NAME", "SERVER", "CIDR", "AGE"], Header(chunkedSelected.Stdout));
        Assert.Equal(names, FirstColumn(chunkedSelected.Stdout).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Get_MissingCluster_FailsWithNotFound()
    {
        var name = UniqueName("missing");

        var r = await K.RunAsync($"get cluster {name}");

        AssertFailed(r);
        Assert.Contains("NotFound", r.Stderr);
        Assert.Contains($"clusters.clusterregistry.k8s.io \"{name}\" not found", r.Stderr);
    }

    // ---------------------------------------------------------------- label / annotate

    [Fact]
    public async Task Label_NewKey_AddsLabel()
    {
        var name = UniqueName("lbladd");
        await ArrangeAsync(Cluster(name));

        var r = await K.RunAsync($"label cluster {name} team=blue");

        AssertSucceeded(r);
        Assert.Contains($"cluster.clusterregistry.k8s.io/{name} labeled", r.Stdout);
        Assert.Equal("blue", await LabelAsync(name, "team"));
    }

    [Fact]
    public async Task Label_ExistingKeyWithoutOverwrite_FailsAndKeepsValue()
    {
        var name = UniqueName("lblkeep");
        await ArrangeAsync(Cluster(name, labels: new Dictionary<string, string> { ["team"] = "blue" }));

        var r = await K.RunAsync($"label cluster {name} team=red");

        AssertFailed(r);
        Assert.Contains("already has a value (blue)", r.Stderr);
        Assert.Equal("blue", await LabelAsync(name, "team"));
    }

    [Fact]
    public async Task Label_ExistingKeyWithOverwrite_ReplacesValue()
    {
        var name = UniqueName("lblover");
        await ArrangeAsync(Cluster(name, labels: new Dictionary<string, string> { ["team"] = "blue" }));

        var r = await K.RunAsync($"label cluster {name} team=red --overwrite");

        AssertSucceeded(r);
        Assert.Contains($"cluster.clusterregistry.k8s.io/{name} labeled", r.Stdout);
        Assert.Equal("red", await LabelAsync(name, "team"));
    }

    [Fact]
    public async Task Label_KeyWithTrailingDash_RemovesLabel()
    {
        var name = UniqueName("lblrm");
        await ArrangeAsync(Cluster(name, labels: new Dictionary<string, string> { ["team"] = "blue", ["env"] = "prod" }));

        // kubectl 1.32 prints "unlabeled", 1.20 prints "labeled": only the effect is asserted.
        var r = await K.RunAsync($"label cluster {name} team-");

        AssertSucceeded(r);
        var labels = await Setup.RunAsync($"get cluster {name} -o json");
        using var doc = JsonDocument.Parse(labels.Stdout);
        var actual = doc.RootElement.GetProperty("metadata").GetProperty("labels").EnumerateObject().Select(p => $"{p.Name}={p.Value.GetString()}");
        Assert.Equal(["env=prod"], actual);
    }

    [Fact]
    public async Task Annotate_NewKey_AddsAnnotation()
    {
        var name = UniqueName("ann");
        await ArrangeAsync(Cluster(name));

        var r = await K.RunAsync($"annotate cluster {name} example.com/owner=platform-team");

        AssertSucceeded(r);
        Assert.Contains($"cluster.clusterregistry.k8s.io/{name} annotated", r.Stdout);
        var get = await Setup.RunAsync($"get cluster {name} -o jsonpath='{{.metadata.annotations.example\\.com/owner}}'");
        Assert.Equal("platform-team", get.Stdout);
    }

    [Fact]
    public async Task Annotate_ExistingKeyWithoutThenWithOverwrite_FailsThenReplaces()
    {
        var name = UniqueName("annover");
        await ArrangeAsync(Cluster(name));
        AssertSucceeded(await Setup.RunAsync($"annotate cluster {name} note=first"));

        var refused = await K.RunAsync($"annotate cluster {name} note=second");
        var afterRefused = await Setup.RunAsync($"get cluster {name} -o jsonpath='{{.metadata.annotations.note}}'");
        var overwritten = await K.RunAsync($"annotate cluster {name} note=second --overwrite");
        var afterOverwrite = await Setup.RunAsync($"get cluster {name} -o jsonpath='{{.metadata.annotations.note}}'");

        AssertFailed(refused);
        Assert.Contains("already has a value (first)", refused.Stderr);
        Assert.Equal("first", afterRefused.Stdout);
        AssertSucceeded(overwritten);
        Assert.Equal("second", afterOverwrite.Stdout);
    }

    // ---------------------------------------------------------------- patch / edit / replace

    [Fact]
    public async Task Patch_MergePatchOnSpec_UpdatesSpecAndIncrementsGeneration()
    {
        var name = UniqueName("pmerge");
        await ArrangeAsync(Cluster(name, "before.example.com"));

        var r = await K.RunAsync(
            $"patch cluster {name} --type merge -p '{{\"spec\":{{\"kubernetesApiEndpoints\":{{\"serverEndpoints\":[{{\"clientCIDR\":\"10.1.0.0/16\",\"serverAddress\":\"after.example.com\"}}]}}}}}}'");

        AssertSucceeded(r);
        Assert.Contains($"cluster.clusterregistry.k8s.io/{name} patched", r.Stdout);
        var get = await Setup.RunAsync(
            $"get cluster {name} -o jsonpath='{{.spec.kubernetesApiEndpoints.serverEndpoints[0].serverAddress}} {{.spec.kubernetesApiEndpoints.serverEndpoints[0].clientCIDR}} {{.metadata.generation}}'");
        Assert.Equal("after.example.com 10.1.0.0/16 2", get.Stdout);
    }

    [Fact]
    public async Task Patch_JsonPatchReplace_UpdatesServerAddress()
    {
        var name = UniqueName("pjson");
        await ArrangeAsync(Cluster(name, "before.example.com"));

        var r = await K.RunAsync(
            $"patch cluster {name} --type json -p '[{{\"op\":\"replace\",\"path\":\"/spec/kubernetesApiEndpoints/serverEndpoints/0/serverAddress\",\"value\":\"after.example.com:8443\"}}]'");

        AssertSucceeded(r);
        Assert.Contains($"cluster.clusterregistry.k8s.io/{name} patched", r.Stdout);
        var get = await Setup.RunAsync($"get cluster {name} -o jsonpath='{{.spec.kubernetesApiEndpoints.serverEndpoints[0].serverAddress}}'");
        Assert.Equal("after.example.com:8443", get.Stdout);
    }

    [Fact]
    public async Task Patch_JsonPatchFailingTest_FailsAndLeavesClusterUnchanged()
    {
        var name = UniqueName("ptest");
        await ArrangeAsync(Cluster(name, "before.example.com"));

        var r = await K.RunAsync(
            $"patch cluster {name} --type json -p '[{{\"op\":\"test\",\"path\":\"/spec/kubernetesApiEndpoints/serverEndpoints/0/serverAddress\",\"value\":\"other.example.com\"}},{{\"op\":\"replace\",\"path\":\"/spec/kubernetesApiEndpoints/serverEndpoints/0/serverAddress\",\"value\":\"after.example.com\"}}]'");

        AssertFailed(r);
        var get = await Setup.RunAsync($"get cluster {name} -o jsonpath='{{.spec.kubernetesApiEndpoints.serverEndpoints[0].serverAddress}}'");
        Assert.Equal("before.example.com", get.Stdout);
    }

    /// <summary><c>kubectl patch</c> without --type sends a strategic merge patch, which the server accepts.</summary>
    [Fact]
    public async Task Patch_DefaultStrategicMergePatch_AddsLabelAndKeepsOthers()
    {
        var name = UniqueName("psmp");
        await ArrangeAsync(Cluster(name, labels: new Dictionary<string, string> { ["env"] = "prod" }));

        var r = await K.RunAsync($"patch cluster {name} -p '{{\"metadata\":{{\"labels\":{{\"smp\":\"yes\"}}}}}}'");

        AssertSucceeded(r);
        Assert.Contains($"cluster.clusterregistry.k8s.io/{name} patched", r.Stdout);
        Assert.Equal("yes", await LabelAsync(name, "smp"));
        Assert.Equal("prod", await LabelAsync(name, "env"));
    }

    /// <summary>
    /// kubectl 1.32 sets the Ready condition through the status subresource. kubectl 1.20 has no --subresource
    /// flag (added in 1.24): for it the test asserts that it refuses the flag, sets the status with kubectl 1.32
    /// instead, and still checks that kubectl 1.20 prints READY=True.
    /// </summary>
    [Fact]
    public async Task Patch_StatusSubresourceReadyCondition_WideOutputShowsReadyTrue()
    {
        var name = UniqueName("pstatus");
        await ArrangeAsync(Cluster(name));
        const string status = "'{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"HeartbeatOK\",\"message\":\"API server reachable\",\"lastHeartbeatTime\":\"2026-01-02T03:04:05Z\",\"lastTransitionTime\":\"2026-01-02T03:04:05Z\"}]}}'";

        var patch = await K.RunAsync($"patch cluster {name} --subresource=status --type merge -p {status}");
        if (HasSubresourceFlag)
        {
            AssertSucceeded(patch);
            Assert.Contains($"cluster.clusterregistry.k8s.io/{name} patched", patch.Stdout);
        }
        else
        {
            AssertFailed(patch);
            Assert.Contains("unknown flag: --subresource", patch.Stderr);
            AssertSucceeded(await Setup.RunAsync($"patch cluster {name} --subresource=status --type merge -p {status}"));
        }
        var wide = await K.RunAsync($"get cluster {name} -o wide");
        var json = await Setup.RunAsync($"get cluster {name} -o json");

        AssertSucceeded(wide);
        var header = Header(wide.Stdout);
        var row = Row(wide.Stdout, name);
        Assert.NotNull(row);
        Assert.Equal("True", row[Array.IndexOf(header, "READY")]);
        using var doc = JsonDocument.Parse(json.Stdout);
        var condition = doc.RootElement.GetProperty("status").GetProperty("conditions")[0];
        Assert.Equal("Ready", condition.GetProperty("type").GetString());
        Assert.Equal("HeartbeatOK", condition.GetProperty("reason").GetString());
        Assert.Equal(1, doc.RootElement.GetProperty("metadata").GetProperty("generation").GetInt64());
    }

    [Fact]
    public async Task Edit_WithSedAsEditor_SavesChangedServerAddress()
    {
        var name = UniqueName("edit");
        await ArrangeAsync(Cluster(name, "100.0.0.0"));

        var r = await K.RunWithEnvironmentAsync(
            $"edit cluster {name}",
            new Dictionary<string, string> { ["EDITOR"] = "sed -i s/100.0.0.0/100.0.0.9/", ["KUBE_EDITOR"] = "sed -i s/100.0.0.0/100.0.0.9/" });

        AssertSucceeded(r);
        Assert.Contains($"cluster.clusterregistry.k8s.io/{name} edited", r.Stdout);
        var table = await K.RunAsync($"get cluster {name}");
        Assert.Equal([name, "100.0.0.9"], Row(table.Stdout, name)?.Take(2));
    }

    [Fact]
    public async Task Replace_CurrentObject_PrintsReplacedAndStoresChange()
    {
        var name = UniqueName("repl");
        await ArrangeAsync(Cluster(name, "old.example.com"));
        var current = await K.RunAsync($"get cluster {name} -o yaml");
        AssertSucceeded(current);

        var r = await K.RunAsync("replace -f -", current.Stdout.Replace("old.example.com", "new.example.com"));

        AssertSucceeded(r);
        Assert.Contains($"cluster.clusterregistry.k8s.io/{name} replaced", r.Stdout);
        var get = await Setup.RunAsync($"get cluster {name} -o jsonpath='{{.spec.kubernetesApiEndpoints.serverEndpoints[0].serverAddress}}'");
        Assert.Equal("new.example.com", get.Stdout);
    }

    [Fact]
    public async Task Replace_StaleResourceVersion_FailsWithConflict()
    {
        var name = UniqueName("stale");
        await ArrangeAsync(Cluster(name, "old.example.com"));
        var stale = await K.RunAsync($"get cluster {name} -o yaml");
        AssertSucceeded(stale);
        AssertSucceeded(await Setup.RunAsync($"label cluster {name} bumped=yes"));

        var r = await K.RunAsync("replace -f -", stale.Stdout.Replace("old.example.com", "new.example.com"));

        AssertFailed(r);
        Assert.Contains("Conflict", r.Stderr);
        Assert.Contains("Operation cannot be fulfilled", r.Stderr);
        Assert.Contains("the object has been modified", r.Stderr);
        var get = await Setup.RunAsync($"get cluster {name} -o jsonpath='{{.spec.kubernetesApiEndpoints.serverEndpoints[0].serverAddress}}'");
        Assert.Equal("old.example.com", get.Stdout);
    }

    // ---------------------------------------------------------------- watch

    [Fact]
    public async Task GetWatch_LabelChange_PrintsModifiedRow()
    {
        var suite = UniqueSuite();
        var name = $"{suite}-w";
        await ArrangeAsync(Cluster(name, labels: new Dictionary<string, string> { ["suite"] = suite }));
        await using var watch = K.Start($"get clusters -w --output-watch-events --show-labels -l suite={suite}");
        var initial = await watch.WaitForStdoutAsync(l => Cells(l) is ["ADDED", var n, ..] && n == name);
        Assert.True(initial is not null, "the initial row never appeared\n" + watch);

        AssertSucceeded(await Setup.RunAsync($"label cluster {name} phase=changed"));
        var modified = await watch.WaitForStdoutAsync(l => Cells(l) is ["MODIFIED", var n, ..] && n == name && l.Contains("phase=changed"));

        Assert.True(modified is not null, "no MODIFIED row after the label change\n" + watch);
        Assert.Equal(["EVENT", "NAME", "SERVER", "CIDR", "AGE", "LABELS"], Header(watch.Stdout));
    }

    [Fact]
    public async Task GetWatch_PlainOutput_PrintsNewRowForChange()
    {
        var suite = UniqueSuite();
        var name = $"{suite}-p";
        await ArrangeAsync(Cluster(name, "before.example.com", labels: new Dictionary<string, string> { ["suite"] = suite }));
        await using var watch = K.Start($"get clusters -w -l suite={suite}");
        Assert.True(await watch.WaitForStdoutAsync(l => l.StartsWith(name + " ", StringComparison.Ordinal)) is not null, "no initial row\n" + watch);

        AssertSucceeded(await Setup.RunAsync($"patch cluster {name} --type merge -p '{{\"spec\":{{\"kubernetesApiEndpoints\":{{\"serverEndpoints\":[{{\"clientCIDR\":\"10.0.0.0/8\",\"serverAddress\":\"after.example.com\"}}]}}}}}}'"));
        var changed = await watch.WaitForStdoutAsync(l => Cells(l) is [var n, "after.example.com", ..] && n == name);

        Assert.True(changed is not null, "no row with the new server address\n" + watch);
        // The table keeps the server's columns for watch events (no switch to kubectl's default NAME/AGE).
        Assert.Equal(["NAME", "SERVER", "CIDR", "AGE"], Header(watch.Stdout));
        Assert.DoesNotContain(watch.StdoutLines.Skip(1), l => Cells(l) is ["NAME", ..]);
    }

    /// <summary>
    /// <c>kubectl get NAME -w</c> prints the object, watches with resourceVersion=0 and a metadata.name field
    /// selector, and drops the first event, assuming it is the synthetic ADDED. The change is made only once the
    /// watch request has been answered (seen in the -v=6 request log), so a missing synthetic ADDED would make
    /// kubectl swallow exactly this change.
    /// </summary>
    [Fact]
    public async Task GetWatchSingleCluster_FirstRealChange_IsPrinted()
    {
        var name = UniqueName("wone");
        await ArrangeAsync(Cluster(name));
        await using var watch = K.Start($"get cluster {name} -w --show-labels -v=6");
        Assert.True(await watch.WaitForStdoutAsync(l => l.StartsWith(name + " ", StringComparison.Ordinal)) is not null, "no initial row\n" + watch);
        var watching = await watch.WaitForStderrAsync(l => l.Contains("watch=true") && l.Contains(" 200 "));
        Assert.True(watching is not null, "kubectl never got an answer to its watch request\n" + watch);

        AssertSucceeded(await Setup.RunAsync($"label cluster {name} first=change"));
        var changed = await watch.WaitForStdoutAsync(l => l.StartsWith(name + " ", StringComparison.Ordinal) && l.Contains("first=change"));

        Assert.True(changed is not null, "the first change after the watch started was not printed\n" + watch);
        Assert.Contains("fieldSelector=metadata.name%3D" + name, watching);
    }

    [Fact]
    public async Task GetWatch_ClusterDeleted_PrintsDeletedRowAndKeepsWatching()
    {
        var suite = UniqueSuite();
        var labels = new Dictionary<string, string> { ["suite"] = suite };
        var doomed = $"{suite}-gone";
        var survivor = $"{suite}-stay";
        await ArrangeAsync(Documents([Cluster(doomed, labels: labels), Cluster(survivor, labels: labels)]));
        await using var watch = K.Start($"get clusters -w --output-watch-events -l suite={suite}");
        Assert.True(await watch.WaitForStdoutAsync(l => Cells(l) is ["ADDED", var n, ..] && n == survivor) is not null, "no initial rows\n" + watch);

        AssertSucceeded(await Setup.RunAsync($"delete cluster {doomed}"));
        var deleted = await watch.WaitForStdoutAsync(l => Cells(l) is ["DELETED", var n, ..] && n == doomed);
        AssertSucceeded(await Setup.RunAsync($"label cluster {survivor} after=delete"));
        var later = await watch.WaitForStdoutAsync(l => Cells(l) is ["MODIFIED", var n, ..] && n == survivor);

        Assert.True(deleted is not null, "no DELETED row\n" + watch);
        Assert.True(later is not null, "the watch did not go on after the deletion\n" + watch);
        Assert.DoesNotContain(watch.StdoutLines, l => l.StartsWith("ERROR", StringComparison.Ordinal));
    }

    // ---------------------------------------------------------------- delete / wait

    [Fact]
    public async Task Delete_ByName_RemovesCluster()
    {
        var name = UniqueName("del");
        await ArrangeAsync(Cluster(name));

        var r = await K.RunAsync($"delete cluster {name}");

        AssertSucceeded(r);
        Assert.Contains($"cluster.clusterregistry.k8s.io \"{name}\" deleted", r.Stdout);
        var get = await Setup.RunAsync($"get cluster {name}");
        AssertFailed(get);
        Assert.Contains("NotFound", get.Stderr);
    }

    [Fact]
    public async Task Delete_ClusterWithFinalizer_StaysWithDeletionTimestampUntilJsonPatchRemovesFinalizer()
    {
        var name = UniqueName("fin");
        await ArrangeAsync(Cluster(name, finalizers: ["example.com/hold"]));

        var delete = await K.RunAsync($"delete cluster {name} --wait=false");
        var marked = await K.RunAsync($"get cluster {name} -o json");

        AssertSucceeded(delete);
        Assert.Contains($"cluster.clusterregistry.k8s.io \"{name}\" deleted", delete.Stdout);
        AssertSucceeded(marked);
        using (var doc = JsonDocument.Parse(marked.Stdout))
        {
            var meta = doc.RootElement.GetProperty("metadata");
            Assert.Matches("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$", meta.GetProperty("deletionTimestamp").GetString());
            Assert.Equal(["example.com/hold"], meta.GetProperty("finalizers").EnumerateArray().Select(f => f.GetString()));
        }

        var patch = await K.RunAsync($"patch cluster {name} --type json -p '[{{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}}]'");
        var gone = await K.RunAsync($"get cluster {name}");

        AssertSucceeded(patch);
        AssertFailed(gone);
        Assert.Contains($"clusters.clusterregistry.k8s.io \"{name}\" not found", gone.Stderr);
    }

    [Fact]
    public async Task Wait_ForDeleteOfFinalizedCluster_ReturnsConditionMetOnceDeleted()
    {
        var name = UniqueName("wait");
        await ArrangeAsync(Cluster(name, finalizers: ["example.com/hold"]));
        AssertSucceeded(await Setup.RunAsync($"delete cluster {name} --wait=false"));
        await using var wait = K.Start($"wait --for=delete cluster/{name} --timeout=30s -v=6");
        // Let kubectl reach its watch before the object goes (bounded; the test goes on either way).
        await wait.WaitForStderrAsync(l => l.Contains("watch=true"));

        AssertSucceeded(await Setup.RunAsync($"patch cluster {name} --type json -p '[{{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}}]'"));
        var exit = await wait.WaitForExitAsync(60);

        Assert.True(exit == 0, "kubectl wait did not return success\n" + wait);
        Assert.Contains($"cluster.clusterregistry.k8s.io/{name} condition met", wait.Stdout);
        Assert.DoesNotContain("Internal error", wait.Stderr);
    }

    [Fact]
    public async Task Delete_LabelSelector_DeletesOnlyMatchingClusters()
    {
        var suite = UniqueSuite();
        await ArrangeAsync(Documents(
        [
            Cluster($"{suite}-x", labels: new Dictionary<string, string> { ["suite"] = suite, ["doomed"] = "yes" }),
            Cluster($"{suite}-y", labels: new Dictionary<string, string> { ["suite"] = suite, ["doomed"] = "yes" }),
            Cluster($"{suite}-z", labels: new Dictionary<string, string> { ["suite"] = suite, ["doomed"] = "no" }),
        ]));

        var r = await K.RunAsync($"delete clusters -l suite={suite},doomed=yes");

        AssertSucceeded(r);
        Assert.Contains($"cluster.clusterregistry.k8s.io \"{suite}-x\" deleted", r.Stdout);
        Assert.Contains($"cluster.clusterregistry.k8s.io \"{suite}-y\" deleted", r.Stdout);
        Assert.DoesNotContain($"{suite}-z", r.Stdout);
        var left = await Setup.RunAsync($"get clusters -l suite={suite} -o name");
        Assert.Equal([$"cluster.clusterregistry.k8s.io/{suite}-z"], Lines(left.Stdout));
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>Creates objects with kubectl 1.32 (not the kubectl under test).</summary>
    protected async Task ArrangeAsync(string manifests)
    {
        var r = await Setup.RunAsync("create -f -", manifests);
        Assert.True(r.ExitCode == 0, "arranging objects failed: " + r);
    }

    /// <summary>A label's value read with kubectl 1.32; empty when absent.</summary>
    protected async Task<string> LabelAsync(string name, string key)
    {
        var r = await Setup.RunAsync($"get cluster {name} -o jsonpath='{{.metadata.labels.{key}}}'");
        AssertSucceeded(r);
        return r.Stdout;
    }

    protected static void AssertSucceeded(Kubectl.Result r) => Assert.True(r.ExitCode == 0, "kubectl failed: " + r);

    protected static void AssertFailed(Kubectl.Result r) => Assert.True(r.ExitCode != 0, "kubectl unexpectedly succeeded: " + r);
}
