using ClusterRegistry.Domain.Meta;
using ClusterRegistry.Domain.Selection;

namespace ClusterRegistry.Tests.UnitTests.Selection;

public sealed class FieldSelectorTests
{
    private static readonly string[] Supported = ["metadata.name", "metadata.namespace", "status.phase"];

    private static FieldSelector Parse(string? text) => FieldSelector.Parse(text, Supported);

    private static string ParseError(string text)
    {
        var ex = Assert.Throws<ApiStatusException>(() => Parse(text));
        Assert.Equal(400, ex.Code);
        Assert.Equal("BadRequest", ex.Reason);
        return ex.Message;
    }

    private static Func<string, string?> Fields(params (string Field, string Value)[] pairs)
    {
        var map = pairs.ToDictionary(p => p.Field, p => p.Value);
        return f => map.GetValueOrDefault(f);
    }

    // ---- empty input ----

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(",")]
    [InlineData(",,,")]
    public void Parse_NullEmptyOrOnlyCommas_ReturnsEverything(string? text)
    {
        var selector = Parse(text);

        Assert.True(selector.IsEmpty);
        Assert.Empty(selector.Requirements);
        Assert.True(selector.Matches(_ => null));
        Assert.Null(selector.ExactValue("metadata.name"));
        Assert.Equal("", selector.ToString());
    }

    // ---- operators ----

    [Theory]
    [InlineData("metadata.name=foo")]
    [InlineData("metadata.name==foo")]
    public void Parse_EqualsOrDoubleEquals_ProducesEqualityTerm(string text)
    {
        var selector = Parse(text);

        Assert.False(selector.IsEmpty);
        Assert.Equal(new FieldRequirement("metadata.name", true, "foo"), Assert.Single(selector.Requirements));
        Assert.True(selector.Matches(Fields(("metadata.name", "foo"))));
        Assert.False(selector.Matches(Fields(("metadata.name", "bar"))));
        Assert.False(selector.Matches(Fields()));
        Assert.Equal("metadata.name=foo", selector.ToString());
    }

    [Fact]
    public void Parse_NotEquals_ProducesInequalityTerm()
    {
        var selector = Parse("metadata.name!=foo");

        Assert.Equal(new FieldRequirement("metadata.name", false, "foo"), Assert.Single(selector.Requirements));
        Assert.False(selector.Matches(Fields(("metadata.name", "foo"))));
        Assert.True(selector.Matches(Fields(("metadata.name", "bar"))));
        Assert.Equal("metadata.name!=foo", selector.ToString());
    }

    [Fact]
    public void Matches_MissingField_ReadsAsEmptyString()
    {
        Assert.True(Parse("status.phase!=Running").Matches(Fields()));
        Assert.True(Parse("status.phase=").Matches(Fields()));
        Assert.False(Parse("status.phase!=").Matches(Fields()));
        Assert.False(Parse("status.phase=Running").Matches(Fields()));
    }

    [Fact]
    public void Parse_EmptyValue_IsAllowed()
    {
        var selector = Parse("metadata.namespace=");

        Assert.Equal(new FieldRequirement("metadata.namespace", true, ""), Assert.Single(selector.Requirements));
        Assert.True(selector.Matches(Fields(("metadata.namespace", ""))));
        Assert.False(selector.Matches(Fields(("metadata.namespace", "default"))));
    }

    [Fact]
    public void Matches_MultipleTerms_AllMustHold()
    {
        var selector = Parse("metadata.name=a,status.phase!=Failed");

        Assert.Equal(2, selector.Requirements.Count);
        Assert.True(selector.Matches(Fields(("metadata.name", "a"), ("status.phase", "Running"))));
        Assert.True(selector.Matches(Fields(("metadata.name", "a"))));
        Assert.False(selector.Matches(Fields(("metadata.name", "a"), ("status.phase", "Failed"))));
        Assert.False(selector.Matches(Fields(("metadata.name", "b"), ("status.phase", "Running"))));
    }

    [Fact]
    public void Parse_Terms_AreSortedByRawText()
    {
        var selector = Parse("status.phase=Running,metadata.namespace=ns,metadata.name=a");

        Assert.Equal(["metadata.name", "metadata.namespace", "status.phase"], selector.Requirements.Select(r => r.Field));
        Assert.Equal("metadata.name=a,metadata.namespace=ns,status.phase=Running", selector.ToString());
    }

    [Fact]
    public void Parse_EmptyTermsBetweenCommas_AreSkipped()
    {
        var selector = Parse(",metadata.name=a,,status.phase=b,");

        Assert.Equal(2, selector.Requirements.Count);
    }

    [Fact]
    public void Parse_FirstOperatorSplitsTerm_RestBelongsToValue()
    {
        Assert.Equal(new FieldRequirement("metadata.name", false, "a!b"), Assert.Single(Parse("metadata.name!=a!b").Requirements));
        Assert.Equal(new FieldRequirement("metadata.name", true, "a!"), Assert.Single(Parse("metadata.name=a!").Requirements));
    }

    [Fact]
    public void Parse_WhitespaceIsNotTrimmed_BecomesPartOfFieldAndValue()
    {
        Assert.Equal(new FieldRequirement("metadata.name", true, " foo "), Assert.Single(Parse("metadata.name= foo ").Requirements));
        Assert.Equal("field label not supported: metadata.name ", ParseError("metadata.name = foo"));
    }

    // ---- escaping ----

    [Theory]
    [InlineData(@"metadata.name=a\,b", "a,b")]
    [InlineData(@"metadata.name=a\=b", "a=b")]
    [InlineData(@"metadata.name=a\\b", @"a\b")]
    [InlineData(@"metadata.name=\\\,\=", @"\,=")]
    [InlineData(@"metadata.name!=a\,b", "a,b")]
    public void Parse_EscapedValue_IsUnescaped(string text, string expected)
    {
        Assert.Equal(expected, Assert.Single(Parse(text).Requirements).Value);
    }

    [Fact]
    public void Parse_EscapedBackslashBeforeComma_CommaSeparatesTerms()
    {
        var selector = Parse(@"metadata.name=a\\,status.phase=x");

        Assert.Equal(
            [new FieldRequirement("metadata.name", true, @"a\"), new FieldRequirement("status.phase", true, "x")],
            selector.Requirements);
    }

    [Fact]
    public void ToString_ValueWithSpecialCharacters_IsEscapedAndRoundTrips()
    {
        var selector = Parse(@"metadata.name=a\,b\=c\\d");

        Assert.Equal(@"metadata.name=a\,b\=c\\d", selector.ToString());
        Assert.Equal(selector.Requirements, Parse(selector.ToString()).Requirements);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("", "")]
    [InlineData(@"a,b=c\d", @"a\,b\=c\\d")]
    public void EscapeValue_SpecialCharacters_AreBackslashed(string value, string expected)
    {
        Assert.Equal(expected, FieldSelector.EscapeValue(value));
        Assert.Equal(value, FieldSelector.UnescapeValue(expected));
    }

    [Theory]
    [InlineData(@"metadata.name=a\!b", @"invalid field selector: invalid escape sequence: \!")]
    [InlineData(@"metadata.name=a\nb", @"invalid field selector: invalid escape sequence: \n")]
    [InlineData(@"metadata.name=a\", @"invalid field selector: invalid escape sequence: \")]
    [InlineData(@"metadata.name=\é", @"invalid field selector: invalid escape sequence: \é")]
    public void Parse_InvalidEscapeSequence_ThrowsBadRequest(string text, string expected)
    {
        Assert.Equal(expected, ParseError(text));
    }

    [Theory]
    [InlineData("metadata.name=a=b")]
    [InlineData("metadata.name===b")]
    [InlineData("metadata.name!==b")]
    public void Parse_UnescapedEqualsInValue_ThrowsBadRequestWithCodePoint(string text)
    {
        Assert.Equal("invalid field selector: unescaped character in value: 61", ParseError(text));
    }

    [Fact]
    public void UnescapeValue_UnescapedComma_ThrowsBadRequestWithCodePoint()
    {
        var ex = Assert.Throws<ApiStatusException>(() => FieldSelector.UnescapeValue("a,b"));

        Assert.Equal(400, ex.Code);
        Assert.Equal("invalid field selector: unescaped character in value: 44", ex.Message);
    }

    [Fact]
    public void Parse_EscapeInFieldName_IsNotInterpreted()
    {
        // The field part has no escaping: the first '=' splits, leaving a bare '=' in the value.
        Assert.Equal("invalid field selector: unescaped character in value: 61", ParseError(@"a\=b=c"));
        Assert.Equal(@"field label not supported: a\", ParseError(@"a\=b"));
    }

    // ---- syntax errors ----

    [Theory]
    [InlineData("metadata.name", "metadata.name")]
    [InlineData("foo", "foo")]
    [InlineData("   ", "   ")]
    [InlineData("a!b", "a!b")]
    [InlineData("metadata.name in (a,b)", "b)")]
    public void Parse_TermWithoutOperator_ThrowsCantUnderstand(string text, string part)
    {
        Assert.Equal($"invalid selector: '{text}'; can't understand '{part}'", ParseError(text));
    }

    [Fact]
    public void Parse_SeveralBadTerms_ReportsFirstInSortedOrder()
    {
        Assert.Equal("invalid selector: 'zz,metadata.name=a,bb'; can't understand 'bb'", ParseError("zz,metadata.name=a,bb"));
    }

    // ---- supported fields ----

    [Theory]
    [InlineData("spec.nodeName=n1", "spec.nodeName")]
    [InlineData("spec.nodeName!=n1", "spec.nodeName")]
    [InlineData("=x", "")]
    [InlineData("Metadata.name=x", "Metadata.name")]
    public void Parse_UnsupportedField_ThrowsBadRequest(string text, string field)
    {
        Assert.Equal($"field label not supported: {field}", ParseError(text));
    }

    [Fact]
    public void Parse_SeveralUnsupportedFields_ReportsFirstInSortedOrder()
    {
        Assert.Equal("field label not supported: b.b", ParseError("z.a=1,metadata.name=x,b.b=2"));
    }

    [Fact]
    public void Parse_SyntaxErrorAndUnsupportedField_SyntaxErrorWins()
    {
        Assert.Equal("invalid selector: 'a.a=1,zzz'; can't understand 'zzz'", ParseError("a.a=1,zzz"));
        Assert.Equal("invalid field selector: invalid escape sequence: \\x", ParseError(@"a.a=1,z=\x"));
    }

    [Fact]
    public void Parse_NoSupportedFields_RejectsEveryTermButAcceptsEmpty()
    {
        Assert.True(FieldSelector.Parse("", []).IsEmpty);
        var ex = Assert.Throws<ApiStatusException>(() => FieldSelector.Parse("metadata.name=a", []));
        Assert.Equal("field label not supported: metadata.name", ex.Message);
    }

    // ---- exact value ----

    [Theory]
    [InlineData("metadata.name=foo", "foo")]
    [InlineData("metadata.name==foo", "foo")]
    [InlineData("status.phase=Running,metadata.name=foo", "foo")]
    [InlineData("metadata.name=", "")]
    [InlineData(@"metadata.name=a\,b", "a,b")]
    public void ExactValue_EqualityTermOnField_ReturnsValue(string text, string expected)
    {
        Assert.Equal(expected, Parse(text).ExactValue("metadata.name"));
    }

    [Theory]
    [InlineData("metadata.name!=foo")]
    [InlineData("status.phase=Running")]
    [InlineData("metadata.namespace=foo")]
    public void ExactValue_NoEqualityTermOnField_ReturnsNull(string text)
    {
        Assert.Null(Parse(text).ExactValue("metadata.name"));
    }

    [Fact]
    public void ExactValue_SeveralEqualityTerms_ReturnsFirstInSortedOrder()
    {
        var selector = Parse("metadata.name=b,metadata.name=a");

        Assert.Equal("a", selector.ExactValue("metadata.name"));
        Assert.False(selector.Matches(Fields(("metadata.name", "a"))));
    }

    // ---- robustness ----

    [Fact]
    public void Parse_RandomInput_OnlyEverThrowsBadRequest()
    {
        const string alphabet = "ab.=!,\\ é\0";
        string[] supported = ["a", "b", "a.b", ""];
        var random = new Random(20240602);
        for (var i = 0; i < 20000; i++)
        {
            var length = random.Next(0, 14);
            var chars = new char[length];
            for (var j = 0; j < length; j++) chars[j] = alphabet[random.Next(alphabet.Length)];
            var text = new string(chars);
            try
            {
                var selector = FieldSelector.Parse(text, supported);
                // Rendering normalises "==" to "=", which can change the raw-text sort order, so compare as sets.
                var reparsed = FieldSelector.Parse(selector.ToString(), supported);
                Assert.Equal(
                    selector.Requirements.Select(r => r.ToString()).Order(StringComparer.Ordinal),
                    reparsed.Requirements.Select(r => r.ToString()).Order(StringComparer.Ordinal));
                selector.Matches(f => f == "a" ? "x" : null);
            }
            catch (ApiStatusException ex)
            {
                Assert.Equal(400, ex.Code);
                Assert.Equal("BadRequest", ex.Reason);
            }
        }
    }
}
