using ClusterRegistry.Tests.EndToEnd.Http;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Observability;

/// <summary>
/// <c>--tracing-otlp-endpoint</c>: the server exports, over OTLP/HTTP, a span per request named as kube names the
/// request and child spans for its storage calls.
/// </summary>
public sealed class TracingTests
{
    [Fact]
    public async Task Tracing_OtlpEndpoint_ReceivesRequestAndStorageSpans()
    {
        await using var collector = await OtlpReceiver.StartAsync();
        await using var server = await ServerProcess.StartAsync(null, null, "--tracing-otlp-endpoint", collector.Url);
        using var http = server.CreateClient();
        var name = Api.UniqueName("traced");
        await Api.CreateAsync(http, name);

        // Spans are exported in batches (every few seconds); wait for the create's, however long the batch takes.
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!(collector.Received.Contains("POST clusters") && collector.Received.Contains("storage create")))
        {
            Assert.False(wait.IsCancellationRequested, "no create spans exported; received:\n" + collector.Received);
            await Task.Delay(250);
        }
        Assert.Contains("embedded", collector.Received);
        Assert.Contains("clusterregistry", collector.Received); // the service name
    }
}
