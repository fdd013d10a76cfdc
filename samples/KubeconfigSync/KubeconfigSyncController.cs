using System.Threading.Channels;
using ClusterRegistry.Client;
using ClusterRegistry.Client.Informer;
using k8s;

namespace ClusterRegistry.Samples.KubeconfigSync;

/// <summary>
/// Keeps a kubeconfig file equal to the registry's export of the clusters matching a label selector. An informer
/// watches those clusters; any add, change or delete (and a periodic resync) marks the file stale, and one worker
/// re-exports (<c>GET clusters/-/kubeconfig?labelSelector=</c>) and replaces the file atomically when the document
/// changed. Bursts of events collapse into one export: only "stale" is queued, never each event.
/// </summary>
public sealed class KubeconfigSyncController(ClusterRegistryClient client, string? selector, string output, TextWriter log)
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);
    private readonly Channel<bool> _stale = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var informer = new ClusterInformer(client, new ClusterInformerOptions
        {
            LabelSelector = selector,
            ResyncPeriod = TimeSpan.FromMinutes(10),
            OnError = e => log.WriteLine($"watch: {Describe(e)} (retrying)"),
        });
        informer.Added += _ => MarkStale();
        informer.Updated += (_, _) => MarkStale();
        informer.Deleted += _ => MarkStale();
        var watching = informer.RunAsync(cancellationToken);
        try
        {
            await informer.WaitForSyncAsync(cancellationToken);
            log.WriteLine($"synced: {informer.Store.Count} cluster(s) match '{selector}'");
            MarkStale();
            string? written = null;
            while (await _stale.Reader.WaitToReadAsync(cancellationToken))
            {
                _stale.Reader.TryRead(out _);
                written = await ExportAsync(written, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        await watching;
    }

    private void MarkStale() => _stale.Writer.TryWrite(true);

    /// <summary>Writes the export when it differs from <paramref name="written"/>; returns what the file now holds.</summary>
    private async Task<string?> ExportAsync(string? written, CancellationToken cancellationToken)
    {
        try
        {
            var export = await client.ExportKubeconfigAsync(selector, cancellationToken: cancellationToken);
            foreach (var warning in export.Warnings) log.WriteLine($"warning: {warning}");
            if (export.Yaml == written) return written;
            WriteAtomically(export.Yaml);
            var contexts = export.Config.Contexts?.Select(c => c.Name) ?? [];
            log.WriteLine($"wrote {output}: {string.Join(", ", contexts)}");
            return export.Yaml;
        }
        catch (Exception e) when (e is KubernetesException or HttpRequestException or IOException)
        {
            log.WriteLine($"export failed: {Describe(e)}; retrying in {RetryDelay.TotalSeconds:0} s");
            _ = Task.Delay(RetryDelay, cancellationToken).ContinueWith(_ => MarkStale(), TaskScheduler.Default);
            return written;
        }
    }

    // A reader (kubectl) sees the old file or the new one, never half of one; the file holds no secrets, but a
    // kubeconfig is conventionally private to its user.
    private void WriteAtomically(string yaml)
    {
        var temp = output + ".tmp";
        File.WriteAllText(temp, yaml);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, output, overwrite: true);
    }

    private static string Describe(Exception e) => e is KubernetesException k ? $"{k.Status?.Code} {k.Status?.Reason}: {k.Status?.Message}" : e.Message;
}
