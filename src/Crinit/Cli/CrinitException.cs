namespace ClusterRegistry.Crinit.Cli;

/// <summary>A failure explained for the user in one line (what went wrong and how to fix it); printed without a stack trace.</summary>
public sealed class CrinitException(string message, Exception? inner = null) : Exception(message, inner);
