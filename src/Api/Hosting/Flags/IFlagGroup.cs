using System.CommandLine;

namespace ClusterRegistry.Api.Hosting.Flags;

/// <summary>A group of server flags: the options it adds to a command, and how their values fill <see cref="ServerOptions"/>.</summary>
public interface IFlagGroup
{
    /// <summary>The group's options, in the order help lists them.</summary>
    IEnumerable<Option> Options { get; }

    /// <summary>
    /// <paramref name="options"/> with the group's values applied; adds to <paramref name="errors"/> what is wrong with
    /// them (each message without the leading <c>error: </c> and the final period, which the command line adds).
    /// </summary>
    ServerOptions Read(ParseResult parse, ServerOptions options, ICollection<string> errors);
}

/// <summary>Helpers the groups share.</summary>
internal static class FlagText
{
    /// <summary>The values of a repeatable, comma-separated flag, trimmed, empties dropped.</summary>
    public static List<string> Split(IEnumerable<string>? values) =>
        (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();

    /// <summary>A duration flag in Go's syntax (<c>5m</c>, <c>30s</c>) with its default.</summary>
    public static Option<TimeSpan> Duration(string name, string description, TimeSpan defaultValue) =>
        new(name) { CustomParser = GoDuration.Parse, Description = description, DefaultValueFactory = _ => defaultValue };
}
