using System.Text;
using YamlDotNet.RepresentationModel;

namespace ClusterRegistry.Crinit.Kubeconfig;

/// <summary>
/// One kubeconfig file edited in place as a YAML tree, so entries, fields and preferences crinit does not know
/// survive (a typed model would drop them). Only clusters[NAME], users[NAME] and contexts[NAME] are touched; the
/// current context is left as it is, as the original did.
/// </summary>
public sealed class KubeconfigFile
{
    private static readonly string[] Sections = ["clusters", "users", "contexts"];
    private readonly YamlMappingNode _root;

    private KubeconfigFile(YamlMappingNode root) => _root = root;

    public static KubeconfigFile Load(string path)
    {
        if (!File.Exists(path) || new FileInfo(path).Length == 0) return Empty();
        var stream = new YamlStream();
        using (var reader = new StreamReader(path)) stream.Load(reader);
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            return stream.Documents.Count == 0 ? Empty() : throw new InvalidDataException($"{path} is not a kubeconfig (its top level is not a mapping)");
        return new KubeconfigFile(root);
    }

    private static KubeconfigFile Empty() => new(new YamlMappingNode
    {
        { "apiVersion", "v1" },
        { "kind", "Config" },
        { "preferences", new YamlMappingNode() },
        { "current-context", "" },
    });

    public bool HasEntry(string name) => Sections.Any(s => Find(s, name) is not null);

    public string? CurrentContext => _root.Children.TryGetValue(new YamlScalarNode("current-context"), out var c) ? (c as YamlScalarNode)?.Value : null;

    /// <summary>Adds or replaces the cluster, user and context named <paramref name="name"/>.</summary>
    public void Upsert(string name, string server, string caPem, string clientCertificatePem, string clientKeyPem, string? token)
    {
        Set("clusters", name, "cluster", new YamlMappingNode
        {
            { "server", server },
            { "certificate-authority-data", Base64(caPem) },
        });
        var user = new YamlMappingNode
        {
            { "client-certificate-data", Base64(clientCertificatePem) },
            { "client-key-data", Base64(clientKeyPem) },
        };
        if (token is not null) user.Add("token", token);
        Set("users", name, "user", user);
        Set("contexts", name, "context", new YamlMappingNode { { "cluster", name }, { "user", name } });
    }

    /// <summary>The admin certificate and key of users[NAME], for a re-run to keep.</summary>
    public (string? Certificate, string? Key) ClientCredentials(string name)
    {
        if (Find("users", name) is not { } entry || entry.Children.TryGetValue(new YamlScalarNode("user"), out var u) is false || u is not YamlMappingNode user)
            return (null, null);
        return (Decode(user, "client-certificate-data"), Decode(user, "client-key-data"));
    }

    /// <summary>Removes the three entries; returns which sections had one.</summary>
    public IReadOnlyList<string> Remove(string name)
    {
        var removed = new List<string>();
        foreach (var section in Sections)
        {
            if (Find(section, name) is not { } entry) continue;
            ((YamlSequenceNode)_root.Children[new YamlScalarNode(section)]).Children.Remove(entry);
            removed.Add(section[..^1]);
        }
        return removed;
    }

    public void Save(string path)
    {
        var text = new StringWriter();
        new YamlStream(new YamlDocument(_root)).Save(text, assignAnchors: false);
        var yaml = text.ToString();
        // YamlStream ends every document with "..."; kubectl reads it, but a config file does not need it.
        if (yaml.EndsWith("...\n", StringComparison.Ordinal)) yaml = yaml[..^4];
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + ".crinit-" + Environment.ProcessId;
        // Credentials inside: readable by the owner only, as kubectl writes it.
        var create = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, create))
        using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
            writer.Write(yaml);
        File.Move(temp, path, overwrite: true);
    }

    private void Set(string section, string name, string field, YamlMappingNode value)
    {
        var entry = new YamlMappingNode { { "name", name }, { field, value } };
        var key = new YamlScalarNode(section);
        if (!_root.Children.TryGetValue(key, out var node) || node is not YamlSequenceNode list)
        {
            list = new YamlSequenceNode();
            _root.Children[key] = list;
        }
        var existing = Find(section, name);
        if (existing is null) list.Add(entry);
        else list.Children[list.Children.IndexOf(existing)] = entry;
    }

    private YamlMappingNode? Find(string section, string name) =>
        _root.Children.TryGetValue(new YamlScalarNode(section), out var node) && node is YamlSequenceNode list
            ? list.Children.OfType<YamlMappingNode>().FirstOrDefault(e =>
                e.Children.TryGetValue(new YamlScalarNode("name"), out var n) && n is YamlScalarNode { Value: var v } && v == name)
            : null;

    private static string Base64(string pem) => Convert.ToBase64String(Encoding.ASCII.GetBytes(pem));

    private static string? Decode(YamlMappingNode user, string key)
    {
        if (!user.Children.TryGetValue(new YamlScalarNode(key), out var v) || v is not YamlScalarNode { Value: { } text }) return null;
        try
        {
            return Encoding.ASCII.GetString(Convert.FromBase64String(text));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
