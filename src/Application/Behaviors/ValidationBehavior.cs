using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Meta;
using FluentValidation;
using FluentValidation.Results;
using Mediator;

namespace ClusterRegistry.Application.Behaviors;

/// <summary>
/// Runs the request's FluentValidation validators. A failure whose error code is <c>BadRequest</c> is a 400 with
/// its message; the others become one 422 Invalid naming the request's options kind, one cause per failure.
/// </summary>
public sealed class ValidationBehavior<TMessage, TResponse>(IEnumerable<IValidator<TMessage>> validators)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : notnull, IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        await RequestValidation.ValidateAsync(validators, message, cancellationToken);
        return await next(message, cancellationToken);
    }
}

/// <summary>The same for streaming requests (watch).</summary>
public sealed class StreamValidationBehavior<TMessage, TResponse>(IEnumerable<IValidator<TMessage>> validators)
    : IStreamPipelineBehavior<TMessage, TResponse>
    where TMessage : notnull, IStreamMessage
{
    public async IAsyncEnumerable<TResponse> Handle(TMessage message, StreamHandlerDelegate<TMessage, TResponse> next,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await RequestValidation.ValidateAsync(validators, message, cancellationToken);
        await foreach (var item in next(message, cancellationToken).WithCancellation(cancellationToken))
            yield return item;
    }
}

/// <summary>Error codes validators use beyond the field error types.</summary>
public static class ValidationCodes
{
    public const string BadRequest = nameof(BadRequest);
}

internal static class RequestValidation
{
    public static async ValueTask ValidateAsync<T>(IEnumerable<IValidator<T>> validators, T message, CancellationToken ct)
    {
        var failures = new List<ValidationFailure>();
        foreach (var v in validators)
            failures.AddRange((await v.ValidateAsync(message, ct)).Errors);
        if (failures.Count == 0) return;

        var bad = failures.FirstOrDefault(f => f.ErrorCode == ValidationCodes.BadRequest);
        if (bad is not null) throw ApiErrors.BadRequest(bad.ErrorMessage);

        var kind = message is IOptionsRequest o ? o.OptionsKind : typeof(T).Name;
        throw ApiErrors.InvalidOptions(kind, failures.Select(ToFieldError).ToArray());
    }

    private static FieldError ToFieldError(ValidationFailure f)
    {
        var type = Enum.TryParse<FieldErrorType>(f.ErrorCode, out var t) ? t : FieldErrorType.Invalid;
        var hasValue = type is FieldErrorType.Invalid or FieldErrorType.NotSupported or FieldErrorType.Duplicate or FieldErrorType.TypeInvalid;
        return new FieldError(type, f.PropertyName, f.ErrorMessage, f.AttemptedValue, hasValue);
    }
}
