using System.Text.Json;

namespace ClusterRegistry.Tests.Http;

/// <summary>
/// The runtime settings the server's executable ships with (its runtimeconfig.json, also bundled into the
/// single-file image build): they decide its baseline memory (ADR-019-perfread-gc-mode, ADR-030-rss-runtime-settings),
/// and an SDK or project change that drops one shows no failure anywhere else.
/// </summary>
public sealed class RuntimeSettingsTests
{
    [Fact]
    public void TheServerRunsWithWorkstationConcurrentGc()
    {
        // Copied next to the tests from the referenced Api project's build output.
        var path = Path.Combine(AppContext.BaseDirectory, "clusterregistry.runtimeconfig.json");
        using var config = JsonDocument.Parse(File.ReadAllText(path));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.False(properties.GetProperty("System.GC.Server").GetBoolean());
        Assert.True(properties.GetProperty("System.GC.Concurrent").GetBoolean());
        // Dynamic PGO stays the runtime's default (on): off saved 10-14 MiB but cost 20-35 % more CPU per list,
        // create and patch (ADR-030-rss-runtime-settings).
        Assert.False(properties.TryGetProperty("System.Runtime.TieredPGO", out _));
    }
}
