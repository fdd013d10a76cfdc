using System.Text;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Domain.Selection;

/// <summary>One term of a field selector: <c>Field=Value</c> when <see cref="Equal"/>, else <c>Field!=Value</c>.</summary>
public sealed record FieldRequirement(string Field, bool Equal, string Value)
{
    public override string ToString() => Field + (Equal ? "=" : "!=") + FieldSelector.EscapeValue(Value);
}

/// <summary>
/// A parsed field selector (the <c>fieldSelector</c> list option), following k8s.io/apimachinery/pkg/fields
/// <c>ParseSelector</c> and the apiserver's field-label conversion: terms are split on unescaped commas,
/// sorted, and ANDed; values may escape <c>\</c>, <c>,</c> and <c>=</c> with a backslash.
/// </summary>
public sealed class FieldSelector
{
    /// <summary>The selector that matches every object.</summary>
    public static readonly FieldSelector Everything = new([]);

    // Checked in this order at each position, so "==" is not read as "=" followed by a value starting with '='.
    private static readonly string[] TermOperators = ["!=", "==", "="];

    private FieldSelector(IReadOnlyList<FieldRequirement> requirements) => Requirements = requirements;

    public IReadOnlyList<FieldRequirement> Requirements { get; }

    public bool IsEmpty => Requirements.Count == 0;

    /// <summary>True when every term holds; a field the getter does not know reads as the empty string, as upstream.</summary>
    public bool Matches(Func<string, string?> getField) => Matches(getField, static (field, get) => get(field));

    /// <summary>
    /// <see cref="Matches(Func{string, string?})"/> with the getter's state passed in, so a static getter needs no
    /// closure: a watch's selector is matched once per event and watcher.
    /// </summary>
    public bool Matches<TState>(TState state, Func<string, TState, string?> getField)
    {
        // Indexed, not foreach: enumerating the interface allocates an enumerator on every call.
        for (var i = 0; i < Requirements.Count; i++)
        {
            var r = Requirements[i];
            var actual = getField(r.Field, state) ?? "";
            if (string.Equals(actual, r.Value, StringComparison.Ordinal) != r.Equal) return false;
        }
        return true;
    }

    /// <summary>The value an <c>=</c>/<c>==</c> term requires of <paramref name="field"/>, or null when none does.</summary>
    public string? ExactValue(string field)
    {
        foreach (var r in Requirements)
            if (r.Equal && string.Equals(r.Field, field, StringComparison.Ordinal)) return r.Value;
        return null;
    }

    public override string ToString() => string.Join(",", Requirements.Select(r => r.ToString()));

    /// <summary>
    /// Parses selector text and checks each field against <paramref name="supportedFields"/>; syntax errors are
    /// reported before unsupported fields, as the apiserver parses the whole selector before converting labels.
    /// </summary>
    /// <exception cref="ApiStatusException">400 BadRequest for a malformed selector or an unsupported field.</exception>
    public static FieldSelector Parse(string? text, IReadOnlyCollection<string> supportedFields)
    {
        ArgumentNullException.ThrowIfNull(supportedFields);
        if (string.IsNullOrEmpty(text)) return Everything;

        var parts = SplitTerms(text);
        // Upstream sorts the raw terms, which fixes both which error is reported first and ExactValue's choice.
        parts.Sort(GoStringComparer.Instance);
        var requirements = new List<FieldRequirement>(parts.Count);
        foreach (var part in parts)
        {
            if (part.Length == 0) continue;
            if (!TrySplitTerm(part, out var field, out var op, out var rawValue))
                throw ApiErrors.BadRequest($"invalid selector: '{text}'; can't understand '{part}'");
            requirements.Add(new FieldRequirement(field, op != "!=", UnescapeValue(rawValue)));
        }

        foreach (var r in requirements)
            if (!supportedFields.Contains(r.Field))
                throw ApiErrors.BadRequest($"field label not supported: {r.Field}");

        return requirements.Count == 0 ? Everything : new FieldSelector(requirements);
    }

    /// <summary>Escapes <c>\</c>, <c>,</c> and <c>=</c> so a literal value can be embedded in a selector.</summary>
    public static string EscapeValue(string value)
    {
        if (value.AsSpan().IndexOfAny('\\', ',', '=') < 0) return value;
        var sb = new StringBuilder(value.Length + 4);
        foreach (var c in value)
        {
            if (c is '\\' or ',' or '=') sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Reverses <see cref="EscapeValue"/>; unknown escapes and bare <c>,</c>/<c>=</c> are errors.</summary>
    /// <exception cref="ApiStatusException">400 BadRequest worded as upstream's UnescapeValue errors.</exception>
    public static string UnescapeValue(string value)
    {
        if (value.AsSpan().IndexOfAny('\\', ',', '=') < 0) return value;
        var sb = new StringBuilder(value.Length);
        var inSlash = false;
        foreach (var rune in value.EnumerateRunes())
        {
            if (inSlash)
            {
                if (rune.Value is not ('\\' or ',' or '='))
                    throw ApiErrors.BadRequest("invalid field selector: invalid escape sequence: \\" + rune);
                sb.Append((char)rune.Value);
                inSlash = false;
                continue;
            }
            switch (rune.Value)
            {
                case '\\':
                    inSlash = true;
                    break;
                case ',':
                case '=':
                    // Upstream formats the rune with %v, which prints its code point number (e.g. 61 for '=').
                    throw ApiErrors.BadRequest($"invalid field selector: unescaped character in value: {rune.Value}");
                default:
                    sb.Append(rune.ToString());
                    break;
            }
        }
        if (inSlash) throw ApiErrors.BadRequest("invalid field selector: invalid escape sequence: \\");
        return sb.ToString();
    }

    // Escaped commas stay in the term, backslash included; UnescapeValue removes it later.
    private static List<string> SplitTerms(string text)
    {
        var terms = new List<string>();
        var start = 0;
        var inSlash = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (inSlash) inSlash = false;
            else if (c == '\\') inSlash = true;
            else if (c == ',')
            {
                terms.Add(text[start..i]);
                start = i + 1;
            }
        }
        terms.Add(text[start..]);
        return terms;
    }

    // The field part cannot be escaped, so the first operator occurrence splits the term.
    private static bool TrySplitTerm(string term, out string field, out string op, out string value)
    {
        for (var i = 0; i < term.Length; i++)
        {
            foreach (var candidate in TermOperators)
            {
                if (term.AsSpan(i).StartsWith(candidate, StringComparison.Ordinal))
                {
                    field = term[..i];
                    op = candidate;
                    value = term[(i + candidate.Length)..];
                    return true;
                }
            }
        }
        field = op = value = "";
        return false;
    }
}
