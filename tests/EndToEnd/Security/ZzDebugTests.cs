using System.Net;
using System.Reflection;
using System.Runtime.Loader;
using System.Security.Cryptography.X509Certificates;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using Xunit.Abstractions;
namespace ClusterRegistry.Tests.EndToEnd.Security;
public sealed class ZzDebugTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Debug_HttpsWebhook()
    {
        await using var wh = await WebhookServer.StartAsync(https: true);
        var path = Path.GetTempFileName();
        wh.WriteConfig(path);
        var bin = Path.GetDirectoryName(ServerProcess.ServerDll)!;
        var ctx = new AssemblyLoadContext("dbg");
        ctx.Resolving += (c, n) => File.Exists(Path.Combine(bin, n.Name + ".dll")) ? c.LoadFromAssemblyPath(Path.Combine(bin, n.Name + ".dll")) : null;
        var asm = ctx.LoadFromAssemblyPath(Path.Combine(bin, "ClusterRegistry.Infrastructure.dll"));
        var t = asm.GetType("ClusterRegistry.Infrastructure.Webhooks.WebhookKubeconfig")!;
        var cfg = t.GetMethod("Load")!.Invoke(null, [path])!;
        var client = (HttpClient)t.GetMethod("CreateClient")!.Invoke(cfg, [TimeSpan.FromSeconds(5)])!;
        output.WriteLine("server=" + t.GetProperty("Server")!.GetValue(cfg) + " ca=" + (t.GetProperty("CertificateAuthority")!.GetValue(cfg) is null ? "null" : "set"));
        try
        {
            var r = await client.PostAsync(wh.Url, new StringContent("{}"));
            output.WriteLine($"status {(int)r.StatusCode}");
        }
        catch (Exception e) { output.WriteLine(e.ToString()); }
    }
}
