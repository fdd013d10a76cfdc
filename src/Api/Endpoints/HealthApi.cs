using System.Text;
using ClusterRegistry.Api.Hosting;
using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Api.Endpoints;

/// <summary>
/// <c>/healthz</c>, <c>/livez</c>, <c>/readyz</c> in kube-apiserver's text format: <c>ok</c>, <c>?verbose</c> lists
/// checks, <c>?exclude=</c> skips them, <c>/readyz/&lt;check&gt;</c> runs one; failure is 500 with the reason withheld.
/// </summary>
public static class HealthApi
{
    private delegate Task<string?> Check(IServiceProvider services, CancellationToken ct);

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        // The storage check is named after the backend (etcd, postgres, embedded), as kube-apiserver names its etcd check.
        var storageName = app.ServiceProvider.GetRequiredService<IObjectStorage>().Name;
        foreach (var endpoint in new[] { "healthz", "livez", "readyz" })
        {
            var checks = Checks(endpoint, storageName);
            app.MapGet("/" + endpoint, (HttpContext http) => Root(http, endpoint, checks));
            app.MapGet("/" + endpoint + "/{*check}", (HttpContext http, string check) => Single(http, checks, check));
        }
        return app;
    }

    private static List<(string Name, Check Run)> Checks(string endpoint, string storageName)
    {
        var list = new List<(string, Check)>
        {
            ("ping", (_, _) => Task.FromResult<string?>(null)),
            ("log", (_, _) => Task.FromResult<string?>(null)),
        };
        list.Add((storageName, StorageCheck));
        if (endpoint == "readyz")
            list.Add(("shutdown", ShutdownCheck));
        return list;
    }

    /// <summary>Not ready once this host is stopping (its own <see cref="ShutdownDelay"/>, not a process-wide flag: tests host several).</summary>
    private static Task<string?> ShutdownCheck(IServiceProvider services, CancellationToken ct) =>
        Task.FromResult(services.GetRequiredService<ShutdownDelay>().ShuttingDown ? "process is shutting down" : null);

    private static async Task<string?> StorageCheck(IServiceProvider services, CancellationToken ct)
    {
        var storage = services.GetRequiredService<IObjectStorage>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            // A backend that answers the revision from memory (embedded) must look at its file to say it is ready.
            if (storage is IStorageHealth health) return await health.CheckHealthAsync(timeout.Token);
            await storage.CurrentRevisionAsync(timeout.Token);
            return null;
        }
        catch (Exception e)
        {
            return e.Message;
        }
    }

    private static async Task Root(HttpContext http, string endpoint, List<(string Name, Check Run)> checks)
    {
        var excluded = http.Request.Query["exclude"].Where(x => x is not null).Select(x => x!).ToHashSet();
        var verbose = http.Request.Query.ContainsKey("verbose");
        var sb = new StringBuilder();
        var failed = false;
        foreach (var (name, run) in checks)
        {
            if (excluded.Remove(name))
            {
                sb.Append("[+]").Append(name).Append(" excluded: ok\n");
                continue;
            }
            var error = await run(http.RequestServices, http.RequestAborted);
            failed |= error is not null;
            sb.Append(error is null ? "[+]" : "[-]").Append(name).Append(error is null ? " ok\n" : " failed: reason withheld\n");
        }
        if (excluded.Count > 0)
            sb.Append("warn: some health checks cannot be excluded: no matches for ")
              .Append(string.Join(",", excluded.Select(e => "\"" + e + "\""))).Append('\n');
        sb.Append(endpoint).Append(failed ? " check failed\n" : " check passed\n");
        await Write(http, failed ? 500 : 200, failed || verbose ? sb.ToString() : "ok");
    }

    private static async Task Single(HttpContext http, List<(string Name, Check Run)> checks, string name)
    {
        var check = checks.FirstOrDefault(c => c.Name == name);
        if (check.Run is null)
        {
            await Write(http, 404, "404 page not found\n");
            return;
        }
        var error = await check.Run(http.RequestServices, http.RequestAborted);
        await Write(http, error is null ? 200 : 500, error is null ? "ok" : "internal server error: " + error + "\n");
    }

    private static Task Write(HttpContext http, int status, string body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/plain; charset=utf-8";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.CacheControl = "no-cache, private";
        return http.Response.WriteAsync(body);
    }
}
