using System.Reflection;

namespace ClusterRegistry.Api.Endpoints;

/// <summary><c>/version</c>: nine string keys, a semver gitVersion, and a minor version kubectl 1.32 accepts without a skew warning.</summary>
public static class VersionApi
{
    /// <summary>The Kubernetes API level this server implements.</summary>
    public const string KubernetesMajor = "1";
    public const string KubernetesMinor = "32";

    public static string ServerVersion =>
        typeof(VersionApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.1.0";

    public static object Info => new
    {
        major = KubernetesMajor,
        minor = KubernetesMinor,
        gitVersion = $"v{KubernetesMajor}.{KubernetesMinor}.0+clusterregistry-{ServerVersion}",
        gitCommit = ThisAssemblyCommit(),
        gitTreeState = "clean",
        buildDate = BuildDate,
        goVersion = "dotnet" + Environment.Version,
        compiler = "dotnet",
        platform = $"{(OperatingSystem.IsLinux() ? "linux" : Environment.OSVersion.Platform.ToString().ToLowerInvariant())}/{System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant() switch { "x64" => "amd64", var a => a }}",
    };

    /// <summary>
    /// The time the server's files were written. A single-file publish has no assembly file
    /// (<c>Assembly.Location</c> is empty there), so this dates the running executable, or the assembly
    /// beside it under <c>dotnet clusterregistry.dll</c>.
    /// </summary>
    private static readonly string BuildDate = File.GetLastWriteTimeUtc(BuildFile()).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");

    private static string BuildFile()
    {
        var assembly = Path.Combine(AppContext.BaseDirectory, typeof(VersionApi).Assembly.GetName().Name + ".dll");
        return File.Exists(assembly) ? assembly : Environment.ProcessPath ?? assembly;
    }

    private static string ThisAssemblyCommit() =>
        typeof(VersionApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+') is [_, var sha] ? sha : "";

    public static IEndpointRouteBuilder MapVersion(this IEndpointRouteBuilder app)
    {
        app.MapGet("/version", (HttpContext http) => DiscoveryApi.WriteJson(http, Info));
        return app;
    }
}
