namespace ClusterRegistry.Crinit.Kubeconfig;

/// <summary>
/// client-go's loading rules: --kubeconfig alone when given; else the KUBECONFIG list (merged for reading); else
/// ~/.kube/config. New entries go where kubectl config set-cluster would put them: the file already holding the
/// entry, else the first existing file of the list, else its last one.
/// </summary>
public sealed record KubeconfigLocation(IReadOnlyList<string> Files, bool Explicit)
{
    public static KubeconfigLocation Resolve(string? explicitPath, string? kubeconfigVariable, string home)
    {
        if (!string.IsNullOrEmpty(explicitPath)) return new([Path.GetFullPath(explicitPath)], true);
        var list = (kubeconfigVariable ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(Path.GetFullPath).Distinct().ToList();
        return list.Count > 0 ? new(list, false) : new([Path.Combine(home, ".kube", "config")], false);
    }

    public static KubeconfigLocation FromEnvironment(string? explicitPath) =>
        Resolve(explicitPath, Environment.GetEnvironmentVariable("KUBECONFIG"), Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    public IEnumerable<string> Existing => Files.Where(File.Exists);

    /// <summary>The file to write the entry <paramref name="name"/> to.</summary>
    public string WriteTarget(string name)
    {
        if (Explicit) return Files[0];
        foreach (var file in Existing)
            if (KubeconfigFile.Load(file).HasEntry(name)) return file;
        return Existing.FirstOrDefault() ?? Files[^1];
    }
}
