using System.Security.Cryptography;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;
using Mediator;

namespace ClusterRegistry.Application.Clusters.Commands.CreateCluster;

/// <summary>What k8s Store.Create does: fill server fields, run the strategy, store if the name is free.</summary>
public sealed class CreateClusterHandler(IObjectStorage storage, IClock clock, IRequestContext context)
    : ICommandHandler<CreateClusterCommand, Cluster>
{
    private const string NameAlphabet = "bcdfghjklmnpqrstvwxz2456789";
    private const int MaxGenerateNameAttempts = 8;
    private static GroupResource R => ClusterResource.Info;

    public async ValueTask<Cluster> Handle(CreateClusterCommand command, CancellationToken ct)
    {
        var cluster = ClusterBodies.Decode(command.Body, command.Options.Mode, context.AddWarning);
        var m = cluster.Metadata;
        if (!string.IsNullOrEmpty(m.ResourceVersion))
            throw ApiErrors.BadRequest("resourceVersion should not be set on objects to be created");

        var generate = string.IsNullOrEmpty(m.Name) && !string.IsNullOrEmpty(m.GenerateName);
        for (var attempt = 1; ; attempt++)
        {
            if (generate) m.Name = GenerateName(m.GenerateName!);
            Prepare(cluster);
            if (command.Options.IsDryRun) return cluster;
            try
            {
                var revision = await storage.CreateAsync(ClusterKeys.For(m.Name!), ClusterCodec.Encode(cluster), ct);
                m.ResourceVersion = ResourceVersion.Format(revision);
                return cluster;
            }
            catch (StorageException e) when (e.Code == StorageErrorCode.KeyExists && generate)
            {
                if (attempt == MaxGenerateNameAttempts) throw ApiErrors.GenerateNameConflict(R, m.Name!);
            }
            catch (StorageException e)
            {
                throw StorageErrors.Interpret(e, m.Name!, "create");
            }
        }
    }

    private void Prepare(Cluster cluster)
    {
        var m = cluster.Metadata;
        m.Uid = Guid.NewGuid().ToString();
        m.CreationTimestamp = clock.UtcNow;
        m.DeletionTimestamp = null;
        m.DeletionGracePeriodSeconds = null;
        ClusterStrategy.PrepareForCreate(cluster);
        var errors = ClusterStrategy.Validate(cluster);
        if (errors.Count > 0) throw ApiErrors.Invalid(R, m.Name ?? "", errors);
        foreach (var w in ClusterStrategy.WarningsOnCreate(cluster)) context.AddWarning(w);
        ClusterStrategy.Canonicalize(cluster);
    }

    private static string GenerateName(string prefix)
    {
        const int maxPrefix = 63 - 5; // as k8s names/generate.go
        var p = prefix.Length > maxPrefix ? prefix[..maxPrefix] : prefix;
        return p + string.Create(5, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = NameAlphabet[RandomNumberGenerator.GetInt32(NameAlphabet.Length)];
        });
    }
}
