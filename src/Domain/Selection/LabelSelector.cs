using System.Globalization;
using System.Text;
using ClusterRegistry.Domain.Meta;
using ClusterRegistry.Domain.Validation;

namespace ClusterRegistry.Domain.Selection;

/// <summary>The relation a <see cref="LabelRequirement"/> expresses between a label key and its values.</summary>
public enum LabelOperator
{
    Exists,
    DoesNotExist,
    Equals,
    NotEquals,
    In,
    NotIn,
    GreaterThan,
    LessThan,
}

/// <summary>
/// One term of a label selector, with the matching rules of k8s.io/apimachinery <c>labels.Requirement</c>.
/// <see cref="Values"/> is empty for the existence operators, holds one value for the exact-match and
/// integer-comparison operators, and the sorted distinct set for <c>in</c>/<c>notin</c>.
/// </summary>
public sealed record LabelRequirement(string Key, LabelOperator Operator, IReadOnlyList<string> Values)
{
    public bool Matches(IReadOnlyDictionary<string, string>? labels)
    {
        string? actual = null;
        var has = labels is not null && labels.TryGetValue(Key, out actual);
        switch (Operator)
        {
            case LabelOperator.Exists:
                return has;
            case LabelOperator.DoesNotExist:
                return !has;
            case LabelOperator.Equals:
            case LabelOperator.In:
                return has && HasValue(actual!);
            // Upstream deliberately selects objects without the key for the negative operators.
            case LabelOperator.NotEquals:
            case LabelOperator.NotIn:
                return !has || !HasValue(actual!);
            case LabelOperator.GreaterThan:
            case LabelOperator.LessThan:
                if (!has || Values.Count != 1) return false;
                if (!LabelSelector.TryParseGoInt64(actual!, out var left)) return false;
                if (!LabelSelector.TryParseGoInt64(Values[0], out var right)) return false;
                return Operator == LabelOperator.GreaterThan ? left > right : left < right;
            default:
                return false;
        }
    }

    private bool HasValue(string value)
    {
        for (var i = 0; i < Values.Count; i++)
            if (string.Equals(Values[i], value, StringComparison.Ordinal)) return true;
        return false;
    }

    // Records compare collections by reference; requirements are values, so compare the contents.
    public bool Equals(LabelRequirement? other) =>
        other is not null
        && string.Equals(Key, other.Key, StringComparison.Ordinal)
        && Operator == other.Operator
        && Values.SequenceEqual(other.Values, StringComparer.Ordinal);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Key, StringComparer.Ordinal);
        hash.Add(Operator);
        foreach (var v in Values) hash.Add(v, StringComparer.Ordinal);
        return hash.ToHashCode();
    }

    /// <summary>The canonical text of the requirement, as <c>labels.Requirement.String()</c> renders it.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        if (Operator == LabelOperator.DoesNotExist) sb.Append('!');
        sb.Append(Key);
        switch (Operator)
        {
            case LabelOperator.Exists:
            case LabelOperator.DoesNotExist:
                return sb.ToString();
            case LabelOperator.Equals: sb.Append('='); break;
            case LabelOperator.NotEquals: sb.Append("!="); break;
            case LabelOperator.In: sb.Append(" in ("); break;
            case LabelOperator.NotIn: sb.Append(" notin ("); break;
            case LabelOperator.GreaterThan: sb.Append('>'); break;
            case LabelOperator.LessThan: sb.Append('<'); break;
        }
        var values = Values.Count <= 1 ? Values : Values.OrderBy(v => v, GoStringComparer.Instance).ToList();
        sb.AppendJoin(',', values);
        if (Operator is LabelOperator.In or LabelOperator.NotIn) sb.Append(')');
        return sb.ToString();
    }
}

/// <summary>
/// A parsed label selector (the <c>labelSelector</c> list option), following the grammar, semantics and
/// error texts of k8s.io/apimachinery/pkg/labels <c>Parse</c>. Requirements are ANDed and kept sorted by key.
/// </summary>
public sealed class LabelSelector
{
    /// <summary>The selector that matches every object.</summary>
    public static readonly LabelSelector Everything = new([]);

    private LabelSelector(IReadOnlyList<LabelRequirement> requirements) => Requirements = requirements;

    public IReadOnlyList<LabelRequirement> Requirements { get; }

    public bool IsEmpty => Requirements.Count == 0;

    public bool Matches(IReadOnlyDictionary<string, string>? labels)
    {
        // Indexed, not foreach: enumerating the interface allocates an enumerator, and a watch matches each event.
        for (var i = 0; i < Requirements.Count; i++)
            if (!Requirements[i].Matches(labels)) return false;
        return true;
    }

    public override string ToString() => string.Join(",", Requirements.Select(r => r.ToString()));

    /// <summary>Parses selector text; any syntax or validation failure is a 400 BadRequest.</summary>
    /// <exception cref="ApiStatusException">The text is not a valid label selector.</exception>
    public static LabelSelector Parse(string? text)
    {
        // Only Go's four whitespace characters are blank here; the lexer skips them, so " " ends up empty too.
        if (string.IsNullOrEmpty(text)) return Everything;
        var requirements = new Parser(text).Parse();
        if (requirements.Count == 0) return Everything;
        // A stable sort keeps duplicate keys in input order, as Go's insertion sort does for small selectors.
        return new LabelSelector(requirements.OrderBy(r => r.Key, GoStringComparer.Instance).ToList());
    }

    /// <summary>
    /// Go's <c>strconv.ParseInt(s, 10, 64)</c>: an optional sign and ASCII digits only. Hand-written because
    /// .NET's parser also accepts forms Go rejects (e.g. trailing NUL characters).
    /// </summary>
    internal static bool TryParseGoInt64(string s, out long value)
    {
        value = 0;
        var i = 0;
        var negative = false;
        if (s.Length > 0 && s[0] is '+' or '-')
        {
            negative = s[0] == '-';
            i = 1;
        }
        if (i == s.Length) return false;
        // Accumulate negatively so long.MinValue is representable.
        long acc = 0;
        for (; i < s.Length; i++)
        {
            if (!char.IsAsciiDigit(s[i])) return false;
            var digit = s[i] - '0';
            if (acc < (long.MinValue + digit) / 10) return false;
            acc = acc * 10 - digit;
        }
        if (!negative)
        {
            if (acc == long.MinValue) return false;
            acc = -acc;
        }
        value = acc;
        return true;
    }

    private enum Token
    {
        Error,
        EndOfString,
        ClosedPar,
        Comma,
        DoesNotExist,
        DoubleEquals,
        Equals,
        GreaterThan,
        Identifier,
        In,
        LessThan,
        NotEquals,
        NotIn,
        OpenPar,
    }

    private readonly record struct Item(Token Token, string Literal);

    /// <summary>Tokenizes byte-for-byte like the upstream lexer, including its quirk of ending at a NUL character.</summary>
    private sealed class Lexer(string s)
    {
        private int _pos;

        private static Token? Literal(string text) => text switch
        {
            ")" => Token.ClosedPar,
            "," => Token.Comma,
            "!" => Token.DoesNotExist,
            "==" => Token.DoubleEquals,
            "=" => Token.Equals,
            ">" => Token.GreaterThan,
            "in" => Token.In,
            "<" => Token.LessThan,
            "!=" => Token.NotEquals,
            "notin" => Token.NotIn,
            "(" => Token.OpenPar,
            _ => null,
        };

        private static bool IsWhitespace(char c) => c is ' ' or '\t' or '\r' or '\n';

        private static bool IsSpecial(char c) => c is '=' or '!' or '(' or ')' or ',' or '>' or '<';

        // '\0' doubles as the end marker, so an embedded NUL ends scanning just as it does upstream.
        private char Read() => _pos < s.Length ? s[_pos++] : '\0';

        private void Unread() => _pos--;

        public Item Lex()
        {
            var c = Read();
            while (IsWhitespace(c)) c = Read();
            if (c == '\0') return new Item(Token.EndOfString, "");
            Unread();
            return IsSpecial(c) ? ScanSpecial() : ScanIdentifierOrKeyword();
        }

        private Item ScanIdentifierOrKeyword()
        {
            var start = _pos;
            var end = _pos;
            while (true)
            {
                var c = Read();
                if (c == '\0') break;
                if (IsSpecial(c) || IsWhitespace(c))
                {
                    Unread();
                    break;
                }
                end = _pos;
            }
            var text = s[start..end];
            return new Item(Literal(text) ?? Token.Identifier, text);
        }

        // Longest match over the operator table, e.g. "!=" rather than "!" followed by "=".
        private Item ScanSpecial()
        {
            var start = _pos;
            Item? last = null;
            while (true)
            {
                var c = Read();
                if (c == '\0') break;
                if (!IsSpecial(c))
                {
                    Unread();
                    break;
                }
                var text = s[start.._pos];
                if (Literal(text) is { } tok) last = new Item(tok, text);
                else if (last is not null)
                {
                    Unread();
                    break;
                }
            }
            return last ?? new Item(Token.Error, $"error expected: keyword found '{s[start.._pos]}'");
        }
    }

    private sealed class Parser
    {
        private const string BinaryOperators = "in, notin, =, ==, !=, gt, lt";

        private readonly List<Item> _items = [];
        private int _position;

        public Parser(string text)
        {
            var lexer = new Lexer(text);
            // Each Lex call consumes at least one character or returns EndOfString, so this terminates.
            while (true)
            {
                var item = lexer.Lex();
                _items.Add(item);
                if (item.Token == Token.EndOfString) break;
            }
        }

        private enum Context { KeyAndOperator, Values }

        // "in" and "notin" are ordinary identifiers wherever a key or value is expected.
        private static Item InContext(Item item, Context context) =>
            context == Context.Values && item.Token is Token.In or Token.NotIn
                ? item with { Token = Token.Identifier }
                : item;

        // Never step past the final EndOfString item, whatever path the grammar takes.
        private Item Lookahead(Context context) => InContext(_items[Math.Min(_position, _items.Count - 1)], context);

        private Item Consume(Context context)
        {
            var item = Lookahead(context);
            if (_position < _items.Count - 1) _position++;
            return item;
        }

        public List<LabelRequirement> Parse()
        {
            var requirements = new List<LabelRequirement>();
            while (true)
            {
                var next = Lookahead(Context.Values);
                switch (next.Token)
                {
                    case Token.Identifier:
                    case Token.DoesNotExist:
                        requirements.Add(ParseRequirement());
                        var after = Consume(Context.Values);
                        switch (after.Token)
                        {
                            case Token.EndOfString:
                                return requirements;
                            case Token.Comma:
                                var following = Lookahead(Context.Values);
                                if (following.Token is not (Token.Identifier or Token.DoesNotExist))
                                    throw ApiErrors.BadRequest($"found '{following.Literal}', expected: identifier after ','");
                                break;
                            default:
                                throw ApiErrors.BadRequest($"found '{after.Literal}', expected: ',' or 'end of string'");
                        }
                        break;
                    case Token.EndOfString:
                        return requirements;
                    default:
                        throw ApiErrors.BadRequest($"found '{next.Literal}', expected: !, identifier, or 'end of string'");
                }
            }
        }

        private static ApiStatusException RequirementError(string detail) =>
            ApiErrors.BadRequest("unable to parse requirement: " + detail);

        private LabelRequirement ParseRequirement()
        {
            var (key, op) = ParseKeyAndInferOperator();
            if (op is LabelOperator.Exists or LabelOperator.DoesNotExist)
                return NewRequirement(key, op.Value, []);
            var binary = ParseOperator();
            var values = binary is LabelOperator.In or LabelOperator.NotIn ? ParseValues() : ParseExactValue();
            return NewRequirement(key, binary, values);
        }

        // A bare key (or !key) followed by ',' or the end is an existence test; otherwise an operator follows.
        private (string Key, LabelOperator? Operator) ParseKeyAndInferOperator()
        {
            LabelOperator? op = null;
            var item = Consume(Context.Values);
            if (item.Token == Token.DoesNotExist)
            {
                op = LabelOperator.DoesNotExist;
                item = Consume(Context.Values);
            }
            if (item.Token != Token.Identifier)
                throw RequirementError($"found '{item.Literal}', expected: identifier");
            var keyErrors = NameValidation.IsQualifiedName(item.Literal);
            if (keyErrors.Count > 0)
                throw RequirementError(InvalidValue("<nil>", item.Literal, keyErrors));
            if (Lookahead(Context.Values).Token is Token.EndOfString or Token.Comma && op is null)
                op = LabelOperator.Exists;
            return (item.Literal, op);
        }

        private LabelOperator ParseOperator()
        {
            var item = Consume(Context.KeyAndOperator);
            return item.Token switch
            {
                Token.In => LabelOperator.In,
                Token.Equals or Token.DoubleEquals => LabelOperator.Equals,
                Token.GreaterThan => LabelOperator.GreaterThan,
                Token.LessThan => LabelOperator.LessThan,
                Token.NotIn => LabelOperator.NotIn,
                Token.NotEquals => LabelOperator.NotEquals,
                _ => throw RequirementError($"found '{item.Literal}', expected: {BinaryOperators}"),
            };
        }

        private List<string> ParseValues()
        {
            var open = Consume(Context.Values);
            if (open.Token != Token.OpenPar)
                throw RequirementError($"found '{open.Literal}' expected: '('");
            var next = Lookahead(Context.Values);
            switch (next.Token)
            {
                case Token.Identifier:
                case Token.Comma:
                    var values = ParseIdentifiersList();
                    if (Consume(Context.Values).Token != Token.ClosedPar)
                        throw RequirementError($"found '{next.Literal}', expected: ')'");
                    return values;
                case Token.ClosedPar:
                    // Upstream reads "()" as the set holding only the empty value.
                    Consume(Context.Values);
                    return [""];
                default:
                    throw RequirementError($"found '{next.Literal}', expected: ',', ')' or identifier");
            }
        }

        // Empty entries such as "(,a)" or "(a,,b)" stand for the empty value, as upstream.
        private List<string> ParseIdentifiersList()
        {
            var set = new SortedSet<string>(GoStringComparer.Instance);
            while (true)
            {
                var item = Consume(Context.Values);
                switch (item.Token)
                {
                    case Token.Identifier:
                        set.Add(item.Literal);
                        var after = Lookahead(Context.Values);
                        switch (after.Token)
                        {
                            case Token.Comma:
                                continue;
                            case Token.ClosedPar:
                                return [.. set];
                            default:
                                throw RequirementError($"found '{after.Literal}', expected: ',' or ')'");
                        }
                    case Token.Comma:
                        if (set.Count == 0) set.Add("");
                        var lookahead = Lookahead(Context.Values);
                        if (lookahead.Token == Token.ClosedPar)
                        {
                            set.Add("");
                            return [.. set];
                        }
                        if (lookahead.Token == Token.Comma)
                        {
                            Consume(Context.Values);
                            set.Add("");
                        }
                        break;
                    default:
                        throw RequirementError($"found '{item.Literal}', expected: ',', or identifier");
                }
            }
        }

        // "k=" with nothing after the operator means the empty value.
        private List<string> ParseExactValue()
        {
            if (Lookahead(Context.Values).Token is Token.EndOfString or Token.Comma) return [""];
            var item = Consume(Context.Values);
            if (item.Token == Token.Identifier) return [item.Literal];
            throw RequirementError($"found '{item.Literal}', expected: identifier");
        }

        // Mirrors labels.NewRequirement's checks that the parser can reach (the key is already validated,
        // value counts are fixed by the grammar) and its aggregated error text.
        private static LabelRequirement NewRequirement(string key, LabelOperator op, List<string> values)
        {
            var errors = new List<string>();
            if (op is LabelOperator.GreaterThan or LabelOperator.LessThan)
            {
                for (var i = 0; i < values.Count; i++)
                    if (!TryParseGoInt64(values[i], out _))
                        errors.Add(InvalidValue($"values[{i}]", values[i], ["for 'Gt', 'Lt' operators, the value must be an integer"]));
            }
            for (var i = 0; i < values.Count; i++)
            {
                var valueErrors = NameValidation.IsValidLabelValue(values[i]);
                if (valueErrors.Count > 0) errors.Add(InvalidValue($"values[{i}][{key}]", values[i], valueErrors));
            }
            var distinct = errors.Distinct(StringComparer.Ordinal).ToList();
            if (distinct.Count == 1) throw RequirementError(distinct[0]);
            if (distinct.Count > 1) throw RequirementError("[" + string.Join(", ", distinct) + "]");
            return new LabelRequirement(key, op, values);
        }

        private static string InvalidValue(string path, string value, IEnumerable<string> details) =>
            $"{path}: Invalid value: {GoQuote(value)}: {string.Join("; ", details)}";
    }

    /// <summary>Go's <c>%q</c> (strconv.Quote), so invalid keys and values read exactly as upstream prints them.</summary>
    internal static string GoQuote(string value)
    {
        var sb = new StringBuilder(value.Length + 2);
        sb.Append('"');
        foreach (var rune in value.EnumerateRunes())
        {
            var r = rune.Value;
            if (r is '"' or '\\')
            {
                sb.Append('\\').Append((char)r);
                continue;
            }
            if (IsGoPrintable(rune))
            {
                sb.Append(rune.ToString());
                continue;
            }
            switch (r)
            {
                case '\a': sb.Append("\\a"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\v': sb.Append("\\v"); break;
                default:
                    if (r < ' ' || r == 0x7f) sb.Append("\\x").Append(r.ToString("x2", CultureInfo.InvariantCulture));
                    else if (r < 0x10000) sb.Append("\\u").Append(r.ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append("\\U").Append(r.ToString("x8", CultureInfo.InvariantCulture));
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    // unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
    private static bool IsGoPrintable(Rune rune)
    {
        if (rune.Value == ' ') return true;
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                or UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
                or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned => false,
            _ => true,
        };
    }
}

/// <summary>
/// Orders strings as Go compares them (UTF-8 bytes, i.e. code points) rather than by UTF-16 units,
/// so sorted output and error indexes agree with upstream for any input.
/// </summary>
internal sealed class GoStringComparer : IComparer<string>
{
    public static readonly GoStringComparer Instance = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        var n = Math.Min(x.Length, y.Length);
        for (var i = 0; i < n; i++)
        {
            if (x[i] != y[i]) return CodePointOrder(x[i]).CompareTo(CodePointOrder(y[i]));
        }
        return x.Length.CompareTo(y.Length);
    }

    // Surrogates (supplementary planes) must sort after U+E000..U+FFFF, which UTF-16 order gets wrong.
    private static int CodePointOrder(char c) =>
        c < 0xD800 ? c : char.IsSurrogate(c) ? c + 0x2000 : c - 0x800;
}
