using System.Text;
using System.Text.Json.Nodes;
using CsCheck;

namespace ClusterRegistry.Tests.EndToEnd.Security;

/// <summary>One generated HTTP request. <c>__RV__</c> in the body is replaced by the target's current resourceVersion when sent.</summary>
public sealed record FuzzRequest(string Method, string Path, string Query, string? ContentType, byte[]? Body, string Kind)
{
    public const string RvPlaceholder = "__RV__";

    /// <summary>A short description for failure reports (bodies are cut to 600 characters).</summary>
    public override string ToString()
    {
        var body = Body is null ? "<none>" : Encoding.UTF8.GetString(Body, 0, Math.Min(Body.Length, 600)) + (Body.Length > 600 ? "…" : "");
        return $"{Method} {Path}{Query}\nContent-Type: {ContentType ?? "<none>"}\nkind: {Kind} ({Body?.Length ?? 0} bytes)\nbody: {body}";
    }
}

/// <summary>CsCheck generators of random and mutated requests against the clusters API.</summary>
public static class FuzzGenerators
{
    public const string Base = "/apis/clusterregistry.k8s.io/v1alpha1";
    public const string Collection = Base + "/clusters";

    /// <summary>Names the requests aim at: a pool of valid ones (some exist) and invalid ones.</summary>
    public static readonly string[] PoolNames = ["fz-a", "fz-b", "fz-c", "fz-d"];

    private static readonly Gen<string> ValidName = Gen.OneOf(PoolNames);

    private static readonly Gen<string> AnyName = Gen.Frequency(
        (8, ValidName),
        (1, Gen.OneOf("UPPER", "bad_name", "a..b", "-lead", "trail-", "x%20y", "%2e%2e", "a%2Fb", "%00", "%C3%BC", "a.b.c",
            new string('x', 254), new string('y', 64), "0", "a;b", "a%3Fb", "%25", "~", "a'b")));

    private static readonly Gen<string> Path = Gen.Frequency(
        (3, Gen.Const(Collection)),
        (6, AnyName.Select(n => Collection + "/" + n)),
        (2, AnyName.Select(n => Collection + "/" + n + "/status")),
        (1, Gen.Select(AnyName, Gen.OneOf("scale", "bogus", "status/extra", "", "status/"), (n, s) => Collection + "/" + n + "/" + s)),
        (1, Gen.OneOf(Base, "/apis/clusterregistry.k8s.io", "/apis/clusterregistry.k8s.io/v1alpha2/clusters", Base + "/nonexistent",
            Base + "/watch/clusters", Base + "/watch/clusters/fz-a", Collection + "//", Base + "/namespaces/default/clusters",
            Base + "/namespaces/default/clusters/fz-a", Collection + "/fz-a/status/status")));

    private static readonly Gen<string> Method = Gen.Frequency(
        (3, Gen.Const("GET")), (3, Gen.Const("POST")), (2, Gen.Const("PUT")), (4, Gen.Const("PATCH")), (2, Gen.Const("DELETE")),
        (1, Gen.OneOf("HEAD", "OPTIONS", "FOO", "PROPFIND")));

    // ------------------------------------------------------------------ strings and JSON values

    private static readonly Gen<string> AsciiText = Gen.Char[" !\"#$%&'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~"].Array[0, 24].Select(a => new string(a));
    private static readonly Gen<string> UnicodeText = Gen.Char.Array[0, 16].Select(a => new string(a));

    private static readonly Gen<string> SpecialString = Gen.OneOf("", " ", "\u0000", "\t\n", "<script>alert(1)</script>", "../../etc/passwd", "%00",
        "${jndi:ldap://x/a}", "0.0.0.0/0", "::/0", "10.0.0.1:6443", "https://example.com", "fz-a", "true", "null", "1e309", "-0",
        "\ud83d\ude00", "\u202e", "\ufeff", "\\", "\"", "{}", "[]", "Cluster", "clusterregistry.k8s.io/v1alpha1", "v1", "Orphan", "Foreground",
        "2024-01-01T00:00:00Z", "not-a-date", "AAAA", "!!!!");

    private static readonly Gen<string> HugeString = Gen.Select(Gen.Int[1_000, 300_000], Gen.Char['a', 'z'], (n, c) => new string(c, n));

    public static readonly Gen<string> AnyString = Gen.Frequency((4, AsciiText), (2, UnicodeText), (4, SpecialString), (1, HugeString));

    /// <summary>Strings for query values: long ones, but within a request line (URLs of hundreds of kilobytes are refused by the transport).</summary>
    private static readonly Gen<string> QueryString = Gen.Frequency((4, AsciiText), (2, UnicodeText), (4, SpecialString),
        (1, Gen.Select(Gen.Int[100, 2_000], Gen.Char['a', 'z'], (n, c) => new string(c, n))));

    private static readonly Gen<JsonNode?> Leaf = Gen.Frequency(
        (1, Gen.Bool.Select(_ => (JsonNode?)null)),
        (2, Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b))),
        (2, Gen.Long.Select(l => (JsonNode?)JsonValue.Create(l))),
        (2, Gen.Int[-3, 1000].Select(i => (JsonNode?)JsonValue.Create(i))),
        (1, Gen.Double.Where(double.IsFinite).Select(d => (JsonNode?)JsonValue.Create(d))),
        (5, AnyString.Select(s => (JsonNode?)JsonValue.Create(s))));

    private static readonly Gen<JsonNode?>[] JsonByDepth = BuildJson(3);

    private static Gen<JsonNode?>[] BuildJson(int maxDepth)
    {
        var byDepth = new Gen<JsonNode?>[maxDepth + 1];
        byDepth[0] = Leaf;
        for (var d = 1; d <= maxDepth; d++)
        {
            var inner = byDepth[d - 1];
            byDepth[d] = Gen.Frequency(
                (6, Leaf),
                (1, inner.Array[0, 4].Select(items => (JsonNode?)new JsonArray(items.Select(i => i?.DeepClone()).ToArray()))),
                (2, Gen.Select(Gen.Frequency((3, Gen.OneOf("name", "labels", "spec", "status", "metadata", "serverAddress", "clientCIDR", "$patch", "kind")), (2, AsciiText)), inner)
                    .Array[0, 4]
                    .Select(pairs =>
                    {
                        var o = new JsonObject();
                        foreach (var (k, v) in pairs) o[k] = v?.DeepClone();
                        return (JsonNode?)o;
                    })));
        }
        return byDepth;
    }

    public static Gen<JsonNode?> AnyJson => JsonByDepth[^1];

    // ------------------------------------------------------------------ a valid Cluster and its mutations

    private static readonly string CaBundle = Convert.ToBase64String(Encoding.ASCII.GetBytes(Pki.CreateCa("fuzz-cluster-ca").CertificatePem));

    /// <summary>A valid Cluster with every field the schema has; with <paramref name="withRv"/> its resourceVersion is the placeholder.</summary>
    public static JsonObject ValidCluster(string name, bool withRv) => new()
    {
        ["apiVersion"] = "clusterregistry.k8s.io/v1alpha1",
        ["kind"] = "Cluster",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["labels"] = new JsonObject { ["env"] = "fuzz", ["tier"] = "a" },
            ["annotations"] = new JsonObject { ["example.com/note"] = "fuzz" },
            ["resourceVersion"] = withRv ? FuzzRequest.RvPlaceholder : null,
        },
        ["spec"] = new JsonObject
        {
            ["kubernetesApiEndpoints"] = new JsonObject
            {
                ["serverEndpoints"] = new JsonArray(
                    new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = "10.0.0.1:6443" },
                    new JsonObject { ["clientCIDR"] = "10.0.0.0/8", ["serverAddress"] = "https://internal:6443" }),
                ["caBundle"] = CaBundle,
            },
            ["authInfo"] = new JsonObject
            {
                ["providers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "oidc",
                    ["type"] = new JsonObject { ["name"] = "oidc" },
                    ["config"] = new JsonObject { ["issuer"] = "https://issuer" },
                }),
            },
        },
    };

    private sealed record Mutation(int Op, int Target, string Key, JsonNode? Value);

    private static readonly Gen<Mutation> MutationGen = Gen.Select(Gen.Int[0, 5], Gen.Int[0, 10_000],
        Gen.Frequency((3, Gen.OneOf("name", "generateName", "namespace", "labels", "finalizers", "uid", "resourceVersion", "deletionTimestamp",
            "creationTimestamp", "managedFields", "ownerReferences", "generation", "status", "spec", "kind", "apiVersion", "caBundle", "$patch",
            "$retainKeys", "serverEndpoints", "clientCIDR", "serverAddress", "conditions")), (1, AsciiText)),
        AnyJson, (op, t, k, v) => new Mutation(op, t, k, v));

    /// <summary>Every container node (object or array) of <paramref name="root"/>, depth first.</summary>
    private static List<JsonNode> Containers(JsonNode root)
    {
        var result = new List<JsonNode>();
        void Walk(JsonNode? n)
        {
            if (n is JsonObject o)
            {
                result.Add(o);
                foreach (var (_, v) in o.ToList()) Walk(v);
            }
            else if (n is JsonArray a)
            {
                result.Add(a);
                foreach (var v in a.ToList()) Walk(v);
            }
        }
        Walk(root);
        return result;
    }

    private static void Apply(JsonObject root, Mutation m)
    {
        var containers = Containers(root);
        var target = containers[m.Target % containers.Count];
        var value = m.Value?.DeepClone();
        switch (m.Op)
        {
            case 0: // delete a member or element
                if (target is JsonObject o && o.Count > 0) o.Remove(o.ElementAt(m.Target % o.Count).Key);
                else if (target is JsonArray a && a.Count > 0) a.RemoveAt(m.Target % a.Count);
                break;
            case 1: // replace a member or element by a random value
                if (target is JsonObject o1 && o1.Count > 0) o1[o1.ElementAt(m.Target % o1.Count).Key] = value;
                else if (target is JsonArray a1 && a1.Count > 0) a1[m.Target % a1.Count] = value;
                break;
            case 2: // insert a member or element
                if (target is JsonObject o2) o2[m.Key] = value;
                else if (target is JsonArray a2) a2.Insert(m.Target % (a2.Count + 1), value);
                break;
            case 3: // rename a member
                if (target is JsonObject o3 && o3.Count > 0)
                {
                    var (k, v) = o3.ElementAt(m.Target % o3.Count);
                    o3.Remove(k);
                    o3[m.Key] = v;
                }
                break;
            case 4: // point metadata.name at another pool name
                if (root["metadata"] is JsonObject meta) meta["name"] = PoolNames[m.Target % PoolNames.Length];
                break;
            default: // nest the value deeper
                if (target is JsonObject o5 && o5.Count > 0)
                {
                    var key = o5.ElementAt(m.Target % o5.Count).Key;
                    var old = o5[key];
                    o5.Remove(key);
                    o5[key] = new JsonObject { [m.Key] = old };
                }
                break;
        }
    }

    /// <summary>A valid Cluster with 0-4 random mutations.</summary>
    public static readonly Gen<JsonObject> MutatedCluster = Gen.Select(ValidName, Gen.Bool, MutationGen.Array[0, 4], (name, rv, mutations) =>
    {
        var c = ValidCluster(name, rv);
        foreach (var m in mutations) Apply(c, m);
        return c;
    });

    // ------------------------------------------------------------------ bodies

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>Byte-level damage to a serialized document: truncation, inserted or replaced bytes (invalid UTF-8), BOM, trailing junk.</summary>
    private static readonly Gen<byte[]> DamagedCluster = Gen.Select(MutatedCluster, Gen.Int[0, 5], Gen.Int[0, 10_000], Gen.Byte.Array[1, 8],
        (c, how, at, junk) =>
        {
            var bytes = Utf8(c.ToJsonString());
            var pos = at % (bytes.Length + 1);
            return how switch
            {
                0 => bytes[..pos],
                1 => [.. bytes[..pos], .. junk, .. bytes[pos..]],
                2 => [.. bytes[..pos], .. new byte[] { 0xC3, 0x28, 0xFF, 0xFE, 0x80 }, .. bytes[pos..]],
                3 => [0xEF, 0xBB, 0xBF, .. bytes],
                4 => [.. bytes, .. junk],
                _ => Utf8(c.ToJsonString().Replace("{\"apiVersion\"", "{\"metadata\":{\"name\":\"fz-b\"},\"apiVersion\"", StringComparison.Ordinal)),
            };
        });

    private static readonly Gen<byte[]> DeepNesting = Gen.Select(Gen.Int[10, 20_000], Gen.Int[0, 3], (n, how) => how switch
    {
        0 => Utf8($"{{\"apiVersion\":\"clusterregistry.k8s.io/v1alpha1\",\"kind\":\"Cluster\",\"metadata\":{{\"name\":\"fz-c\"}},\"spec\":{new string('[', n)}{new string(']', n)}}}"),
        1 => Utf8(string.Concat(Enumerable.Repeat("{\"a\":", n)) + "1" + new string('}', n)),
        2 => Utf8(new string('[', n)),
        _ => Utf8(string.Concat(Enumerable.Repeat("- ", n)) + "x"),
    });

    private static readonly Gen<string> PatchPath = Gen.Frequency(
        (5, Gen.OneOf("/metadata/labels/env", "/metadata/labels", "/metadata/labels/new~1key", "/metadata/annotations/x", "/metadata/name",
            "/metadata/resourceVersion", "/metadata/uid", "/metadata/finalizers", "/metadata/finalizers/0", "/metadata/finalizers/-",
            "/metadata/deletionTimestamp", "/metadata/generation", "/metadata/namespace", "/metadata/managedFields", "/status", "/status/conditions",
            "/spec", "/spec/kubernetesApiEndpoints/serverEndpoints/0", "/spec/kubernetesApiEndpoints/serverEndpoints/-",
            "/spec/kubernetesApiEndpoints/serverEndpoints/0/serverAddress", "/spec/kubernetesApiEndpoints/serverEndpoints/99999999999",
            "/spec/kubernetesApiEndpoints/caBundle", "/spec/authInfo/providers/0/config", "/kind", "/apiVersion", "", "/", "/~2", "/metadata/",
            "metadata/name", "/spec/kubernetesApiEndpoints/serverEndpoints/-1", "/spec/kubernetesApiEndpoints/serverEndpoints/01")),
        (1, AsciiText));

    private static readonly Gen<JsonNode?> PatchOp = Gen.Select(
        Gen.Frequency((6, Gen.OneOf("add", "remove", "replace", "move", "copy", "test")), (1, Gen.OneOf("bogus", "", "ADD"))),
        PatchPath, PatchPath, AnyJson, Gen.Int[0, 7],
        (op, path, from, value, shape) =>
        {
            var o = new JsonObject { ["op"] = op, ["path"] = path };
            if (shape != 1) o["value"] = value?.DeepClone();
            if (op is "move" or "copy" || shape == 2) o["from"] = from;
            if (shape == 3) o.Remove("path");
            if (shape == 4) o.Remove("op");
            if (shape == 5) return value?.DeepClone();
            return (JsonNode?)o;
        });

    private static readonly Gen<byte[]> JsonPatch = Gen.Frequency(
        (20, PatchOp.Array[0, 6].Select(ops => Utf8(new JsonArray(ops.Select(o => o?.DeepClone()).ToArray()).ToJsonString()))),
        (1, Gen.Int[9_990, 10_010].Select(n => Utf8("[" + string.Join(",", Enumerable.Repeat("{\"op\":\"test\",\"path\":\"/kind\",\"value\":\"Cluster\"}", n)) + "]"))));

    private static readonly Gen<byte[]> MergePatch = Gen.Frequency(
        (3, MutatedCluster.Select(c =>
        {
            c.Remove("apiVersion");
            c.Remove("kind");
            return Utf8(c.ToJsonString());
        })),
        (2, AnyJson.Select(j => Utf8(j?.ToJsonString() ?? "null"))),
        (1, Gen.Select(AnyString, AnyJson, (k, v) => Utf8(new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { [k] = v?.DeepClone() } } }.ToJsonString()))));

    private static readonly Gen<byte[]> StrategicPatch = Gen.Select(MutatedCluster, Gen.Int[0, 10_000], Gen.Int[0, 6],
        Gen.OneOf("delete", "replace", "merge", "bogus", ""), AnyJson,
        (c, at, directive, patchValue, extra) =>
        {
            var containers = Containers(c);
            var target = containers[at % containers.Count];
            switch (directive)
            {
                case 0 when target is JsonObject o: o["$patch"] = patchValue; break;
                case 1 when target is JsonArray a: a.Add(new JsonObject { ["$patch"] = patchValue }); break;
                case 2 when target is JsonObject o: o["$retainKeys"] = new JsonArray("spec", "metadata", JsonValue.Create(patchValue)); break;
                case 3 when c["metadata"] is JsonObject meta: meta["$deleteFromPrimitiveList/finalizers"] = new JsonArray("a", extra?.DeepClone()); break;
                case 4 when c["spec"] is JsonObject spec: spec["$setElementOrder/serverEndpoints"] = new JsonArray(new JsonObject { ["clientCIDR"] = "10.0.0.0/8" }, extra?.DeepClone()); break;
                case 5 when target is JsonObject o: o["$patch"] = extra?.DeepClone(); break;
                default: if (target is JsonObject o6) o6["$setElementOrder/" + patchValue] = extra?.DeepClone(); break;
            }
            return Utf8(c.ToJsonString());
        });

    /// <summary>Apply configurations: the mutated JSON (JSON is YAML) or YAML text with YAML-only features.</summary>
    private static readonly Gen<byte[]> ApplyYaml = Gen.Frequency(
        (3, MutatedCluster.Select(c => Utf8(c.ToJsonString()))),
        (3, Gen.Select(ValidName, AnyString, Gen.Int[0, 9], (name, s, how) =>
        {
            var text = s.Replace("\"", "'", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
            var head = $"apiVersion: clusterregistry.k8s.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: {name}\n";
            return Utf8(how switch
            {
                0 => head + $"  labels:\n    env: \"{text}\"\nspec:\n  kubernetesApiEndpoints:\n    serverEndpoints:\n    - clientCIDR: 0.0.0.0/0\n      serverAddress: 10.0.0.1:6443\n",
                1 => head + "  labels: &l\n    a: b\n  annotations: *l\nspec: {}\n",
                2 => head + "spec:\n  kubernetesApiEndpoints:\n    caBundle: !!binary |\n      aGVsbG8=\n",
                3 => head + "---\n" + head,
                4 => "a: &a [x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c]\nmetadata: {name: " + name + ", labels: *d}\n",
                5 => head + "  labels:\n    ? [complex, key]\n    : value\n",
                6 => head + "  <<: {labels: {merged: yes}}\n",
                7 => head + "\tbad: tab\n",
                8 => head + $"  labels: {{env: !custom {text}}}\n",
                _ => head + "  name: duplicate\nspec: \"" + text + "\"\n",
            });
        })));

    private static readonly Gen<byte[]> DeleteOptions = Gen.Select(
        Gen.OneOf("Orphan", "Background", "Foreground", "bogus", ""), Gen.Long, Gen.OneOf("All", "bogus", ""), AnyJson, Gen.Int[0, 4],
        (policy, grace, dryRun, junk, shape) => Utf8(shape switch
        {
            0 => new JsonObject { ["kind"] = "DeleteOptions", ["apiVersion"] = "v1", ["propagationPolicy"] = policy }.ToJsonString(),
            1 => new JsonObject { ["gracePeriodSeconds"] = grace, ["dryRun"] = new JsonArray(dryRun) }.ToJsonString(),
            2 => new JsonObject { ["preconditions"] = new JsonObject { ["uid"] = junk?.DeepClone(), ["resourceVersion"] = FuzzRequest.RvPlaceholder } }.ToJsonString(),
            3 => new JsonObject { ["kind"] = "DeleteOptions", ["apiVersion"] = "meta.k8s.io/v1", ["orphanDependents"] = junk?.DeepClone() }.ToJsonString(),
            _ => junk?.ToJsonString() ?? "null",
        }));

    private static readonly Gen<byte[]> RandomBytes = Gen.Frequency((5, Gen.Byte.Array[0, 512]), (1, Gen.Int[3 * 1024 * 1024 - 16, 3 * 1024 * 1024 + 64].Select(n => new byte[n])));

    private const string Json = "application/json";
    private const string Yaml = "application/yaml";
    private const string JsonPatchType = "application/json-patch+json";
    private const string MergePatchType = "application/merge-patch+json";
    private const string StrategicType = "application/strategic-merge-patch+json";
    private const string ApplyType = "application/apply-patch+yaml";

    private static readonly Gen<string?> AnyContentType = Gen.OneOf<string?>(Json, Yaml, JsonPatchType, MergePatchType, StrategicType, ApplyType,
        "application/vnd.kubernetes.protobuf", "text/plain", "application/json; charset=utf-16", "application/json;charset=utf-8", "*/*", "",
        "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "APPLICATION/JSON", "application/apply-patch+yaml; charset=utf-8",
        "application/json-patch+json; foo=bar", null);

    /// <summary>(kind, natural content type, body).</summary>
    private static readonly Gen<(string Kind, string? ContentType, byte[]? Body)> Body = Gen.Frequency(
        (10, MutatedCluster.Select(c => ("mutated-cluster", (string?)Json, (byte[]?)Utf8(c.ToJsonString())))),
        (2, MutatedCluster.Select(c => ("mutated-cluster-yaml", (string?)Yaml, (byte[]?)Utf8(c.ToJsonString())))),
        (4, DamagedCluster.Select(b => ("damaged-bytes", (string?)Json, (byte[]?)b))),
        (2, DeepNesting.Select(b => ("deep-nesting", (string?)Json, (byte[]?)b))),
        (6, JsonPatch.Select(b => ("json-patch", (string?)JsonPatchType, (byte[]?)b))),
        (5, MergePatch.Select(b => ("merge-patch", (string?)MergePatchType, (byte[]?)b))),
        (5, StrategicPatch.Select(b => ("strategic-merge-patch", (string?)StrategicType, (byte[]?)b))),
        (4, ApplyYaml.Select(b => ("apply-yaml", (string?)ApplyType, (byte[]?)b))),
        (2, DeleteOptions.Select(b => ("delete-options", (string?)Json, (byte[]?)b))),
        (2, RandomBytes.Select(b => ("random-bytes", (string?)Json, (byte[]?)b))),
        (2, Gen.Const(("empty", (string?)null, (byte[]?)null))));

    private static readonly Gen<(string Kind, string? ContentType, byte[]? Body)> BodyWithContentType =
        Gen.Select(Body, Gen.Int[0, 3], AnyContentType, (b, pick, other) => pick == 0 ? (b.Kind + "+other-type", other, b.Body) : b);

    // ------------------------------------------------------------------ query strings

    private static readonly Gen<string> Selector = Gen.Frequency(
        (3, Gen.OneOf("env=fuzz", "env!=fuzz", "env in (fuzz,prod)", "env notin (x)", "env", "!env", "tier=a,env=fuzz", "env==fuzz", "env=",
            "metadata.name=fz-a", "metadata.name!=fz-b", "metadata.namespace=", "metadata.namespace=default", "spec.x=y", "status.phase=Ready",
            "=", "!", ",", "env in ()", "env in (", "a b", "x=y=z", "metadata.name==fz-a", "a/b/c=d", "example.com/key=v", "ke$y=v")),
        (2, Gen.Char["abz09=!,()-._/ ~<>'\\\"inot"].Array[0, 30].Select(a => new string(a))),
        (1, QueryString));

    private static readonly Gen<string> Number = Gen.Frequency(
        (3, Gen.Int[-5, 600].Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        (2, Gen.OneOf("0", "-1", "1.5", "1e3", "abc", "", "9223372036854775807", "9223372036854775808", "99999999999999999999", " 1", "0x10", "+1")),
        (1, Gen.Long.Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture))));

    private static Gen<string> ValueFor(string key) => key switch
    {
        "labelSelector" or "fieldSelector" => Selector,
        "limit" or "gracePeriodSeconds" or "timeoutSeconds" => Number,
        "resourceVersion" => Gen.Frequency((3, Number), (1, Gen.OneOf("0", "", "1", "999999999999"))),
        "resourceVersionMatch" => Gen.OneOf("Exact", "NotOlderThan", "bogus", ""),
        "watch" => Gen.OneOf("false", "0"),
        "fieldValidation" => Gen.OneOf("Strict", "Warn", "Ignore", "strict", "bogus", ""),
        "dryRun" => Gen.OneOf("All", "all", "bogus", ""),
        "propagationPolicy" => Gen.OneOf("Orphan", "Background", "Foreground", "bogus"),
        "continue" => Gen.Frequency((2, QueryString), (1, Gen.Byte.Array[0, 40].Select(Convert.ToBase64String)),
            (1, Gen.OneOf("eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOiJmei1hIn0", "eyJydiI6LTF9", "e30"))),
        "force" or "allowWatchBookmarks" or "sendInitialEvents" or "orphanDependents" or "pretty" => Gen.OneOf("true", "false", "1", "0", "bogus", ""),
        "timeout" => Gen.OneOf("32s", "1ms", "bogus", "-1s", ""),
        "fieldManager" => Gen.Frequency((3, Gen.OneOf("kubectl", "fuzz", "")), (1, QueryString)),
        _ => QueryString,
    };

    private static readonly Gen<string> QueryKey = Gen.Frequency(
        (10, Gen.OneOf("labelSelector", "fieldSelector", "limit", "continue", "resourceVersion", "resourceVersionMatch", "watch", "fieldValidation",
            "dryRun", "fieldManager", "force", "propagationPolicy", "gracePeriodSeconds", "orphanDependents", "pretty", "timeout", "timeoutSeconds",
            "allowWatchBookmarks", "sendInitialEvents")),
        (1, AsciiText.Where(k => !k.Contains("watch", StringComparison.OrdinalIgnoreCase))));

    private static readonly Gen<string> Query = QueryKey.SelectMany(k => ValueFor(k).Select(v => Uri.EscapeDataString(k) + "=" + Uri.EscapeDataString(v)))
        .Array[0, 4].Select(parts => parts.Length == 0 ? "" : "?" + string.Join("&", parts));

    // ------------------------------------------------------------------ requests

    /// <summary>Any method, path, query and body together.</summary>
    private static readonly Gen<FuzzRequest> RandomRequest = Gen.Select(Method, Path, Query, BodyWithContentType, (method, path, query, body) =>
    {
        // Watches are long-running: never GET a watch path.
        if (path.Contains("/watch/", StringComparison.Ordinal) && method is "GET" or "HEAD") method = "DELETE";
        var sendsBody = method is not ("GET" or "HEAD");
        return new FuzzRequest(method, path, query, sendsBody ? body.ContentType : null, sendsBody ? body.Body : null, sendsBody ? body.Kind : "no-body");
    });

    /// <summary>Requests that make sense for their path (create on the collection, patch of an item…), so that many succeed and change the store.</summary>
    private static readonly Gen<FuzzRequest> CoherentRequest = Gen.Frequency(
        (3, Gen.Select(MutatedCluster, Query, (c, q) => new FuzzRequest("POST", Collection, q, Json, Utf8(c.ToJsonString()), "create"))),
        (2, Gen.Select(MutatedCluster, Query, Gen.Bool, (c, q, status) =>
        {
            var name = c["metadata"] is JsonObject m && m["name"] is JsonValue v && v.TryGetValue<string>(out var n) ? n : "fz-a";
            if (c["metadata"] is JsonObject meta) meta["resourceVersion"] = FuzzRequest.RvPlaceholder;
            return new FuzzRequest("PUT", Collection + "/" + Uri.EscapeDataString(name) + (status ? "/status" : ""), q, Json, Utf8(c.ToJsonString()), "update");
        })),
        (2, Gen.Select(ValidName, Query, JsonPatch, Gen.Bool, (n, q, b, status) => new FuzzRequest("PATCH", Collection + "/" + n + (status ? "/status" : ""), q, JsonPatchType, b, "json-patch"))),
        (2, Gen.Select(ValidName, Query, MergePatch, (n, q, b) => new FuzzRequest("PATCH", Collection + "/" + n, q, MergePatchType, b, "merge-patch"))),
        (2, Gen.Select(ValidName, Query, StrategicPatch, (n, q, b) => new FuzzRequest("PATCH", Collection + "/" + n, q, StrategicType, b, "strategic-merge-patch"))),
        (2, Gen.Select(ValidName, Query, ApplyYaml, (n, q, b) => new FuzzRequest("PATCH", Collection + "/" + n, q + (q.Length == 0 ? "?" : "&") + "fieldManager=fuzz", ApplyType, b, "apply"))),
        (1, Gen.Select(ValidName, Query, DeleteOptions, (n, q, b) => new FuzzRequest("DELETE", Collection + "/" + n, q, Json, b, "delete"))),
        (1, Gen.Select(ValidName, Query, (n, q) => new FuzzRequest("DELETE", Collection + "/" + n, q, null, null, "delete"))),
        (1, Gen.Select(Query, q => new FuzzRequest("GET", Collection, q, null, null, "list"))));

    public static readonly Gen<FuzzRequest> Request = Gen.Frequency((1, RandomRequest), (1, CoherentRequest));
}
