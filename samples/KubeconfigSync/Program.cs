using System.Runtime.InteropServices;
using ClusterRegistry.Client;
using ClusterRegistry.Samples.KubeconfigSync;
using k8s;

// kubeconfig-sync --output FILE [--selector LABELS] [--kubeconfig FILE] [--context NAME]
var options = SyncOptions.Parse(args, Console.Error);
if (options is null) return 2;

var config = options.Kubeconfig is null && options.Context is null
    ? KubernetesClientConfiguration.BuildDefaultConfig()
    : KubernetesClientConfiguration.BuildConfigFromConfigFile(options.Kubeconfig, options.Context);
using var client = new ClusterRegistryClient(config);
using var stop = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });

await new KubeconfigSyncController(client, options.Selector, options.Output, Console.Out).RunAsync(stop.Token);
return 0;
