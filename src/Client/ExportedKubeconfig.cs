using k8s.KubeConfigModels;

namespace ClusterRegistry.Client;

/// <summary>
/// A kubeconfig from the <c>clusters/{name}/kubeconfig</c> subresource (or its collection form): the document as the
/// server wrote it, parsed, and the server's warnings (clusters left out because no endpoint serves the caller's
/// address, credential-like provider settings dropped).
/// </summary>
public sealed record ExportedKubeconfig(string Yaml, K8SConfiguration Config, IReadOnlyList<string> Warnings);
