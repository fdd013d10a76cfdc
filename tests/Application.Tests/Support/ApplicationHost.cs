using System.Runtime.CompilerServices;
using System.Text.Json;
using ClusterRegistry.Application;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Application.Behaviors;
using ClusterRegistry.Application.Clusters;
using ClusterRegistry.Application.Clusters.Commands.ApplyCluster;
using ClusterRegistry.Application.Clusters.Commands.CreateCluster;
using ClusterRegistry.Application.Clusters.Commands.DeleteCluster;
using ClusterRegistry.Application.Clusters.Commands.PatchCluster;
using ClusterRegistry.Application.Clusters.Commands.UpdateCluster;
using ClusterRegistry.Application.Clusters.Queries.GetCluster;
using ClusterRegistry.Application.Clusters.Queries.ListClusters;
using ClusterRegistry.Application.Clusters.Queries.WatchClusters;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;
using ClusterRegistry.Infrastructure;
using ClusterRegistry.Infrastructure.Storage.Caching;
using ClusterRegistry.Infrastructure.Storage.Embedded;
using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClusterRegistry.Tests.ApplicationTests.Support;

/// <summary>
/// The application layer as the server composes it — <c>AddApplication</c>, <c>AddInfrastructure</c> (watch cache,
/// metrics, compaction), Mediator with the validation behaviours — over a real embedded store in a temporary
/// directory, with <see cref="InterposingStorage"/> between the infrastructure and the store. Each call runs in its
/// own scope, as each HTTP request does.
/// </summary>
public sealed class ApplicationHost : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly EmbeddedStorage _embedded;
    private readonly string _dir;

    private ApplicationHost(IHost host, EmbeddedStorage embedded, InterposingStorage store, string dir) =>
        (_host, _embedded, Store, _dir) = (host, embedded, store, dir);

    /// <summary>The store as the handlers' infrastructure sees it: counts writes, interposes concurrent ones.</summary>
    public InterposingStorage Store { get; }

    /// <summary>The embedded store itself (its compaction, its revision).</summary>
    public EmbeddedStorage Embedded => _embedded;

    /// <summary>The store's latest revision: unchanged when nothing was written.</summary>
    public async Task<long> RevisionAsync() => await _embedded.CurrentRevisionAsync(CancellationToken.None);

    /// <param name="watchCache">The watch cache in front of the store (the server's default), or none.</param>
    /// <param name="windowEvents">How many recent events the watch cache keeps (how far back a watch may start).</param>
    /// <param name="bookmarkInterval">How often an idle watch with bookmarks reports progress.</param>
    public static async Task<ApplicationHost> StartAsync(bool watchCache = true, int windowEvents = 10_000, TimeSpan? bookmarkInterval = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), "apptests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var embedded = await EmbeddedStorage.OpenAsync(dir);
        var store = new InterposingStorage(embedded);
        var options = new InfrastructureOptions
        {
            DataDir = dir,
            // Compaction is driven by the tests that need it.
            CompactionInterval = TimeSpan.Zero,
            WatchCache = watchCache ? new WatchCacheOptions { WindowEvents = windowEvents } : null,
        };

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddMetrics();
        builder.Services.AddSingleton(new WatchOptions { BookmarkInterval = bookmarkInterval ?? TimeSpan.FromSeconds(30) });
        builder.Services.AddApplication();
        builder.Services.AddInfrastructure(options, store);
        // As the server registers it (src/Api/DependencyInjection.cs): scoped, with the validation behaviours.
        builder.Services.AddMediator(m =>
        {
            m.ServiceLifetime = ServiceLifetime.Scoped;
            m.Assemblies = [typeof(Application.DependencyInjection)];
            m.PipelineBehaviors = [typeof(ValidationBehavior<,>)];
            m.StreamPipelineBehaviors = [typeof(StreamValidationBehavior<,>)];
        });
        var host = builder.Build();
        await host.StartAsync();
        return new ApplicationHost(host, embedded, store, dir);
    }

    /// <summary>Sends one request in its own scope; the warnings it collected are returned in <paramref name="warnings"/>.</summary>
    public async Task<T> SendAsync<T>(ICommand<T> command, List<string>? warnings = null)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<IMediator>().Send(command);
        warnings?.AddRange(scope.ServiceProvider.GetRequiredService<RequestContext>().Warnings);
        return result;
    }

    public async Task<Cluster> GetAsync(string name)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var shared = await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new GetClusterQuery(name));
        return ApiJson.Clone(shared.Object);
    }

    /// <summary>A watch, in its own scope for as long as it is read.</summary>
    public async IAsyncEnumerable<ClusterWatchEvent> WatchAsync(ListParameters parameters, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
        await foreach (var e in mediator.CreateStream(new WatchClustersQuery(parameters with { Watch = true }), ct))
            yield return e;
    }

    // Requests as the HTTP edge builds them from a body and query parameters.

    public Task<Cluster> CreateAsync(string json) =>
        SendAsync(new CreateClusterCommand(Json(json), WriteOptions.Default with { Manager = "test" }));

    public Task<Cluster> PutAsync(string name, string json, string? subresource = null, bool dryRun = false) =>
        SendAsync(new UpdateClusterCommand(name, Json(json), Write(dryRun), subresource));

    public Task<Cluster> MergePatchAsync(string name, string json, string? subresource = null) =>
        SendAsync(new PatchClusterCommand(name, PatchType.Merge, Json(json), Write(false), null, subresource));

    public Task<ApplyResult> ApplyAsync(string name, string json, string manager = "applier", string? subresource = null) =>
        SendAsync(new ApplyClusterCommand(name, Json(json), WriteOptions.Default with { FieldManager = manager, Manager = manager }, false, subresource));

    public Task<DeleteResult> DeleteAsync(string name, Preconditions? preconditions = null) =>
        SendAsync(new DeleteClusterCommand(name, new DeleteOptions { Preconditions = preconditions }));

    private static WriteOptions Write(bool dryRun) => WriteOptions.Default with { DryRun = dryRun ? ["All"] : [], Manager = "test" };

    public static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        // The watch cache is only asynchronously disposable.
        await ((IAsyncDisposable)_host).DisposeAsync();
        await _embedded.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A file still closing; the temporary directory is left behind.
        }
    }
}
