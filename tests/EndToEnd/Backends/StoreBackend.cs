using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;

namespace ClusterRegistry.Tests.EndToEnd.Backends;

/// <summary>
/// The store a real server process runs on, chosen by the test class: the embedded store, or an etcd or PostgreSQL
/// container the class starts (as an xunit class fixture). Suites that hold for every backend take one and start
/// their servers with its <see cref="ServerArgs"/>.
/// </summary>
public interface IStoreBackend : IAsyncLifetime
{
    /// <summary>The server flags that select this store.</summary>
    string[] ServerArgs { get; }
}

/// <summary>The embedded store: every server keeps its own in its (temporary) data directory, so nothing is started.</summary>
public sealed class EmbeddedStore : IStoreBackend
{
    public string[] ServerArgs => [];

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>
/// A store in a container on a fixed free host port, so a test can stop and start it under a running server (an
/// outage) and the server finds it again at the same address.
/// </summary>
public abstract class StoreContainer : IStoreBackend
{
    private IContainer? _container;

    public int HostPort { get; } = ServerProcess.FreePort();

    public abstract string[] ServerArgs { get; }

    /// <summary>The container, its store port bound to <see cref="HostPort"/>.</summary>
    protected abstract ContainerBuilder Define();

    /// <summary>Waits, after a start, until the store takes requests (when its log line says so too early).</summary>
    protected virtual Task WaitServingAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _container = await StoreContainers.StartAsync(Define().Build());
        await WaitServingAsync();
    }

    public Task StopAsync() => Container.StopAsync();

    public async Task StartAsync()
    {
        using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await Container.StartAsync(startup.Token);
        await WaitServingAsync();
    }

    private IContainer Container => _container ?? throw new InvalidOperationException("the store container is not started");

    public async Task DisposeAsync()
    {
        if (_container is not null) await _container.DisposeAsync();
    }
}
