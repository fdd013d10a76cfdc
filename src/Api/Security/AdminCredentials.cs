using System.Security.Cryptography;
using System.Text;
using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Api.Security;

/// <summary>
/// With no authentication configured, the server makes one admin token (kept in the data directory) and writes a
/// kubeconfig that uses it, so a new user can point kubectl at the server at once and nobody else can.
/// </summary>
public static class AdminCredentials
{
    public const string TokenFileName = "admin.token";
    public const string KubeconfigFileName = "kubeconfig";
    public static readonly UserInfo Admin = new("admin", "admin", ["system:masters"]);

    public static string EnsureToken(string dataDir)
    {
        var path = Path.Combine(dataDir, TokenFileName);
        if (File.Exists(path))
        {
            var existing = File.ReadAllText(path).Trim();
            if (existing.Length >= 32) return existing;
        }
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
        File.WriteAllText(path, token + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return token;
    }

    /// <summary>Writes a kubeconfig with context <c>clusterregistry</c> for <paramref name="server"/>; returns its path.</summary>
    public static string WriteKubeconfig(string dataDir, string server, string caPem, string token)
    {
        var path = Path.Combine(dataDir, KubeconfigFileName);
        var ca = Convert.ToBase64String(Encoding.ASCII.GetBytes(caPem));
        var yaml = $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: clusterregistry
              cluster:
                server: {server}
                certificate-authority-data: {ca}
            users:
            - name: clusterregistry-admin
              user:
                token: {token}
            contexts:
            - name: clusterregistry
              context:
                cluster: clusterregistry
                user: clusterregistry-admin
            current-context: clusterregistry

            """;
        File.WriteAllText(path, yaml);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }
}
