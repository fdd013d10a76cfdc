using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;
using Mediator;

namespace ClusterRegistry.Application.Behaviors;

/// <summary>Asks the authorizer about every resource request before it is validated or handled; a denial is 403.</summary>
public sealed class AuthorizationBehavior<TMessage, TResponse>(IAuthorizer authorizer, IRequestContext context)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : notnull, IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        if (message is IResourceRequest request)
            await ResourceAuthorization.EnsureAllowedAsync(authorizer, context, request, cancellationToken);
        return await next(message, cancellationToken);
    }
}

/// <summary>The same check for streaming requests (watch).</summary>
public sealed class StreamAuthorizationBehavior<TMessage, TResponse>(IAuthorizer authorizer, IRequestContext context)
    : IStreamPipelineBehavior<TMessage, TResponse>
    where TMessage : notnull, IStreamMessage
{
    public async IAsyncEnumerable<TResponse> Handle(TMessage message, StreamHandlerDelegate<TMessage, TResponse> next,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (message is IResourceRequest request)
            await ResourceAuthorization.EnsureAllowedAsync(authorizer, context, request, cancellationToken);
        await foreach (var item in next(message, cancellationToken).WithCancellation(cancellationToken))
            yield return item;
    }
}

internal static class ResourceAuthorization
{
    public static async ValueTask EnsureAllowedAsync(IAuthorizer authorizer, IRequestContext context, IResourceRequest request, CancellationToken ct)
    {
        var r = ClusterResource.Info;
        var user = context.User;
        if (context.PreAuthorized is { } done && done.IsResourceRequest && done.Resource == r.Resource && done.ApiGroup == r.Group
            && done.Verb == request.Verb && done.Name == (request.Name ?? "") && done.Subresource == (request.Subresource ?? ""))
            return;
        var decision = await authorizer.DecideAsync(new AuthorizationAttributes(user, request.Verb, true,
                ApiGroup: r.Group, ApiVersion: r.Version, Resource: r.Resource,
                Subresource: request.Subresource ?? "", Name: request.Name ?? ""), ct);
        if (!decision.Allowed)
            throw ApiErrors.Forbidden(r, request.Name, user.Name, request.Verb, request.Subresource, decision.Reason);
    }
}
