using ClusterRegistry.Domain.Meta;
using ClusterRegistry.Domain.Selection;
using ClusterRegistry.Domain.Validation;

namespace ClusterRegistry.Tests.UnitTests.Selection;

public sealed class LabelSelectorTests
{
    private const string LabelValueRule =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    private const string NamePartRule =
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

    private const string IntegerRule = "for 'Gt', 'Lt' operators, the value must be an integer";

    private static Dictionary<string, string> Labels(params (string Key, string Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => p.Value);

    private static string ParseError(string text)
    {
        var ex = Assert.Throws<ApiStatusException>(() => LabelSelector.Parse(text));
        Assert.Equal(400, ex.Code);
        Assert.Equal("BadRequest", ex.Reason);
        return ex.Message;
    }

    // ---- empty input ----

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\r\n ")]
    public void Parse_NullOrBlank_ReturnsEverything(string? text)
    {
        var selector = LabelSelector.Parse(text);

        Assert.Same(LabelSelector.Everything, selector);
        Assert.True(selector.IsEmpty);
        Assert.Empty(selector.Requirements);
        Assert.Equal("", selector.ToString());
    }

    [Theory]
    [InlineData("\u00a0")]
    [InlineData("\v")]
    [InlineData("\f")]
    public void Parse_NonGoWhitespace_IsAnInvalidKey(string text)
    {
        Assert.StartsWith("unable to parse requirement: <nil>: Invalid value: ", ParseError(text));
    }

    [Fact]
    public void Matches_Everything_MatchesAnyLabelsIncludingNull()
    {
        Assert.True(LabelSelector.Everything.Matches(null));
        Assert.True(LabelSelector.Everything.Matches(Labels()));
        Assert.True(LabelSelector.Everything.Matches(Labels(("a", "b"))));
    }

    // ---- operators ----

    [Fact]
    public void Parse_Equals_ProducesSingleValueRequirement()
    {
        var selector = LabelSelector.Parse("env=prod");

        Assert.False(selector.IsEmpty);
        var r = Assert.Single(selector.Requirements);
        Assert.Equal(new LabelRequirement("env", LabelOperator.Equals, ["prod"]), r);
    }

    [Fact]
    public void Matches_Equals_RequiresKeyWithSameValue()
    {
        var selector = LabelSelector.Parse("env=prod");

        Assert.True(selector.Matches(Labels(("env", "prod"))));
        Assert.True(selector.Matches(Labels(("env", "prod"), ("tier", "web"))));
        Assert.False(selector.Matches(Labels(("env", "dev"))));
        Assert.False(selector.Matches(Labels(("env", "Prod"))));
        Assert.False(selector.Matches(Labels(("other", "prod"))));
        Assert.False(selector.Matches(Labels()));
        Assert.False(selector.Matches(null));
    }

    [Fact]
    public void Parse_DoubleEquals_BehavesAsEquals()
    {
        var selector = LabelSelector.Parse("env==prod");

        Assert.Equal(new LabelRequirement("env", LabelOperator.Equals, ["prod"]), Assert.Single(selector.Requirements));
        Assert.True(selector.Matches(Labels(("env", "prod"))));
        Assert.False(selector.Matches(Labels(("env", "dev"))));
    }

    [Fact]
    public void Matches_NotEquals_MatchesDifferentValueAndMissingKey()
    {
        var selector = LabelSelector.Parse("env!=prod");

        Assert.Equal(LabelOperator.NotEquals, Assert.Single(selector.Requirements).Operator);
        Assert.False(selector.Matches(Labels(("env", "prod"))));
        Assert.True(selector.Matches(Labels(("env", "dev"))));
        Assert.True(selector.Matches(Labels(("other", "x"))));
        Assert.True(selector.Matches(Labels()));
        Assert.True(selector.Matches(null));
    }

    [Fact]
    public void Matches_Exists_RequiresKeyWithAnyValue()
    {
        var selector = LabelSelector.Parse("env");

        Assert.Equal(new LabelRequirement("env", LabelOperator.Exists, []), Assert.Single(selector.Requirements));
        Assert.True(selector.Matches(Labels(("env", "prod"))));
        Assert.True(selector.Matches(Labels(("env", ""))));
        Assert.False(selector.Matches(Labels(("other", "prod"))));
        Assert.False(selector.Matches(null));
    }

    [Fact]
    public void Matches_DoesNotExist_RequiresKeyAbsent()
    {
        var selector = LabelSelector.Parse("!env");

        Assert.Equal(new LabelRequirement("env", LabelOperator.DoesNotExist, []), Assert.Single(selector.Requirements));
        Assert.False(selector.Matches(Labels(("env", "prod"))));
        Assert.False(selector.Matches(Labels(("env", ""))));
        Assert.True(selector.Matches(Labels(("other", "prod"))));
        Assert.True(selector.Matches(null));
    }

    [Fact]
    public void Matches_In_RequiresKeyWithValueInSet()
    {
        var selector = LabelSelector.Parse("env in (prod,staging)");

        Assert.Equal(new LabelRequirement("env", LabelOperator.In, ["prod", "staging"]), Assert.Single(selector.Requirements));
        Assert.True(selector.Matches(Labels(("env", "prod"))));
        Assert.True(selector.Matches(Labels(("env", "staging"))));
        Assert.False(selector.Matches(Labels(("env", "dev"))));
        Assert.False(selector.Matches(Labels(("other", "prod"))));
        Assert.False(selector.Matches(null));
    }

    [Fact]
    public void Matches_NotIn_MatchesValueOutsideSetAndMissingKey()
    {
        var selector = LabelSelector.Parse("env notin (prod,staging)");

        Assert.Equal(new LabelRequirement("env", LabelOperator.NotIn, ["prod", "staging"]), Assert.Single(selector.Requirements));
        Assert.False(selector.Matches(Labels(("env", "prod"))));
        Assert.False(selector.Matches(Labels(("env", "staging"))));
        Assert.True(selector.Matches(Labels(("env", "dev"))));
        Assert.True(selector.Matches(Labels(("other", "prod"))));
        Assert.True(selector.Matches(null));
    }

    [Fact]
    public void Matches_GreaterThan_ComparesAsIntegers()
    {
        var selector = LabelSelector.Parse("replicas>5");

        Assert.Equal(new LabelRequirement("replicas", LabelOperator.GreaterThan, ["5"]), Assert.Single(selector.Requirements));
        Assert.True(selector.Matches(Labels(("replicas", "6"))));
        Assert.True(selector.Matches(Labels(("replicas", "10"))));
        Assert.False(selector.Matches(Labels(("replicas", "5"))));
        Assert.False(selector.Matches(Labels(("replicas", "4"))));
        Assert.False(selector.Matches(Labels(("replicas", "-7"))));
    }

    [Fact]
    public void Matches_LessThan_ComparesAsIntegers()
    {
        var selector = LabelSelector.Parse("replicas<10");

        Assert.Equal(LabelOperator.LessThan, Assert.Single(selector.Requirements).Operator);
        Assert.True(selector.Matches(Labels(("replicas", "9"))));
        Assert.True(selector.Matches(Labels(("replicas", "-3"))));
        Assert.True(selector.Matches(Labels(("replicas", "007"))));
        Assert.False(selector.Matches(Labels(("replicas", "10"))));
        Assert.False(selector.Matches(Labels(("replicas", "11"))));
    }

    [Theory]
    [InlineData("replicas>5")]
    [InlineData("replicas<5")]
    public void Matches_IntegerComparisonWithMissingKey_ReturnsFalse(string text)
    {
        var selector = LabelSelector.Parse(text);

        Assert.False(selector.Matches(Labels(("other", "1"))));
        Assert.False(selector.Matches(null));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("6.5")]
    [InlineData(" 6")]
    [InlineData("6 ")]
    [InlineData("6\0")]
    [InlineData("0x10")]
    [InlineData("1_000")]
    [InlineData("9223372036854775808")]
    public void Matches_IntegerComparisonWithNonIntegerLabel_ReturnsFalse(string value)
    {
        Assert.False(LabelSelector.Parse("k>1").Matches(Labels(("k", value))));
        Assert.False(LabelSelector.Parse("k<1").Matches(Labels(("k", value))));
    }

    [Fact]
    public void Matches_IntegerComparisonAtInt64Limits_UsesFullRange()
    {
        var selector = LabelSelector.Parse("k>9223372036854775806");

        Assert.True(selector.Matches(Labels(("k", "9223372036854775807"))));
        Assert.False(selector.Matches(Labels(("k", "9223372036854775806"))));
        Assert.True(LabelSelector.Parse("k<0").Matches(Labels(("k", "-9223372036854775808"))));
        Assert.False(LabelSelector.Parse("k<0").Matches(Labels(("k", "-9223372036854775809"))));
    }

    [Fact]
    public void Matches_IntegerComparisonWithSignedLabel_AcceptsSignsAsGoParseInt()
    {
        Assert.True(LabelSelector.Parse("k>5").Matches(Labels(("k", "+6"))));
        Assert.False(LabelSelector.Parse("k>5").Matches(Labels(("k", "+"))));
        Assert.False(LabelSelector.Parse("k>5").Matches(Labels(("k", "--6"))));
    }

    [Fact]
    public void Matches_MultipleRequirements_AllMustHold()
    {
        var selector = LabelSelector.Parse("env=prod,tier in (web,api),!canary,replicas>1");

        Assert.Equal(4, selector.Requirements.Count);
        Assert.True(selector.Matches(Labels(("env", "prod"), ("tier", "web"), ("replicas", "3"))));
        Assert.False(selector.Matches(Labels(("env", "prod"), ("tier", "web"), ("replicas", "3"), ("canary", "true"))));
        Assert.False(selector.Matches(Labels(("env", "prod"), ("tier", "db"), ("replicas", "3"))));
        Assert.False(selector.Matches(Labels(("env", "prod"), ("tier", "web"), ("replicas", "1"))));
        Assert.False(selector.Matches(Labels(("tier", "web"), ("replicas", "3"))));
    }

    // ---- empty values and sets ----

    [Theory]
    [InlineData("k=")]
    [InlineData("k==")]
    [InlineData("k= ")]
    public void Parse_EqualsWithoutValue_MeansEmptyValue(string text)
    {
        var selector = LabelSelector.Parse(text);

        Assert.Equal(new LabelRequirement("k", LabelOperator.Equals, [""]), Assert.Single(selector.Requirements));
        Assert.True(selector.Matches(Labels(("k", ""))));
        Assert.False(selector.Matches(Labels(("k", "x"))));
        Assert.False(selector.Matches(Labels()));
    }

    [Fact]
    public void Parse_EqualsWithoutValueFollowedByComma_MeansEmptyValue()
    {
        var selector = LabelSelector.Parse("k=,j");

        Assert.Equal(
            [new LabelRequirement("j", LabelOperator.Exists, []), new LabelRequirement("k", LabelOperator.Equals, [""])],
            selector.Requirements);
    }

    [Fact]
    public void Matches_NotEqualsEmptyValue_MatchesNonEmptyAndMissing()
    {
        var selector = LabelSelector.Parse("k!=");

        Assert.False(selector.Matches(Labels(("k", ""))));
        Assert.True(selector.Matches(Labels(("k", "x"))));
        Assert.True(selector.Matches(Labels()));
    }

    [Fact]
    public void Parse_InEmptyParentheses_IsSetOfEmptyValue()
    {
        var selector = LabelSelector.Parse("k in ()");

        Assert.Equal(new LabelRequirement("k", LabelOperator.In, [""]), Assert.Single(selector.Requirements));
        Assert.True(selector.Matches(Labels(("k", ""))));
        Assert.False(selector.Matches(Labels(("k", "x"))));
        Assert.False(selector.Matches(Labels()));
    }

    [Fact]
    public void Parse_NotInEmptyParentheses_ExcludesOnlyEmptyValue()
    {
        var selector = LabelSelector.Parse("k notin ()");

        Assert.Equal(new LabelRequirement("k", LabelOperator.NotIn, [""]), Assert.Single(selector.Requirements));
        Assert.False(selector.Matches(Labels(("k", ""))));
        Assert.True(selector.Matches(Labels(("k", "x"))));
        Assert.True(selector.Matches(Labels()));
    }

    [Theory]
    [InlineData("k in (,a)", new[] { "", "a" })]
    [InlineData("k in (a,)", new[] { "", "a" })]
    [InlineData("k in (a,,b)", new[] { "", "a", "b" })]
    [InlineData("k in (,)", new[] { "" })]
    [InlineData("k in (b,a,b)", new[] { "a", "b" })]
    [InlineData("k in (a)", new[] { "a" })]
    public void Parse_InWithEmptyOrDuplicateEntries_YieldsSortedDistinctSet(string text, string[] expected)
    {
        var r = Assert.Single(LabelSelector.Parse(text).Requirements);

        Assert.Equal(LabelOperator.In, r.Operator);
        Assert.Equal(expected, r.Values);
    }

    // ---- lexing ----

    [Fact]
    public void Parse_WhitespaceAroundTokens_IsIgnored()
    {
        var selector = LabelSelector.Parse("  a = b ,\tc in ( x , y ) ,\n! d , e != f , g notin(h) , i>1 , j <2 ");

        Assert.Equal("a=b,c in (x,y),!d,e!=f,g notin (h),i>1,j<2", selector.ToString());
    }

    [Fact]
    public void Parse_OperatorsWithoutWhitespace_AreRecognized()
    {
        var selector = LabelSelector.Parse("a in(x),b notin(y),c!=z");

        Assert.Equal("a in (x),b notin (y),c!=z", selector.ToString());
    }

    [Fact]
    public void Parse_KeywordsInValuePositions_AreIdentifiers()
    {
        var selector = LabelSelector.Parse("a in (in,notin),b=in,c!=notin");

        Assert.Equal(
            [
                new LabelRequirement("a", LabelOperator.In, ["in", "notin"]),
                new LabelRequirement("b", LabelOperator.Equals, ["in"]),
                new LabelRequirement("c", LabelOperator.NotEquals, ["notin"]),
            ],
            selector.Requirements);
    }

    [Fact]
    public void Parse_KeywordsAsKeys_AreIdentifiers()
    {
        var selector = LabelSelector.Parse("in=x,notin,!in");

        Assert.Equal(
            [
                new LabelRequirement("in", LabelOperator.Equals, ["x"]),
                new LabelRequirement("in", LabelOperator.DoesNotExist, []),
                new LabelRequirement("notin", LabelOperator.Exists, []),
            ],
            selector.Requirements);
    }

    [Fact]
    public void Parse_PrefixedKey_IsAccepted()
    {
        var selector = LabelSelector.Parse("app.kubernetes.io/name=web");

        Assert.True(selector.Matches(Labels(("app.kubernetes.io/name", "web"))));
    }

    [Fact]
    public void Parse_EmbeddedNulCharacter_EndsTokenLikeUpstreamLexer()
    {
        // Upstream's lexer uses byte 0 as its end marker: right after a token it is swallowed as a
        // separator, but where a token would start (after whitespace) it ends the input.
        Assert.Equal("a=b", LabelSelector.Parse("a=\0b").ToString());
        Assert.Equal("a,b", LabelSelector.Parse("a,\0b").ToString());
        Assert.Equal("a", LabelSelector.Parse("a\0").ToString());
        Assert.Equal("a", LabelSelector.Parse("a \0b").ToString());
        Assert.Equal("found '', expected: identifier after ','", ParseError("a, \0b"));
    }

    // ---- canonical form ----

    [Fact]
    public void ToString_RequirementsSortedByKey_ValuesSorted()
    {
        var selector = LabelSelector.Parse("zeta=1,alpha in (z,y,x),mid");

        Assert.Equal("alpha in (x,y,z),mid,zeta=1", selector.ToString());
        Assert.Equal(["alpha", "mid", "zeta"], selector.Requirements.Select(r => r.Key));
    }

    [Fact]
    public void ToString_DuplicateKeys_KeepInputOrder()
    {
        Assert.Equal("a=1,a!=2", LabelSelector.Parse("a=1,a!=2").ToString());
        Assert.Equal("a!=2,a=1", LabelSelector.Parse("a!=2,a=1").ToString());
    }

    [Fact]
    public void ToString_ParsedAgain_RoundTrips()
    {
        var text = LabelSelector.Parse("b notin (x,y),a in (),!c,d>3,e<4,f=,g!=h").ToString();

        Assert.Equal(text, LabelSelector.Parse(text).ToString());
        Assert.Equal("a in (),b notin (x,y),!c,d>3,e<4,f=,g!=h", text);
    }

    [Fact]
    public void ToString_ConstructedRequirementWithUnsortedValues_SortsThem()
    {
        Assert.Equal("k in (a,b)", new LabelRequirement("k", LabelOperator.In, ["b", "a"]).ToString());
    }

    [Fact]
    public void Equals_RequirementsWithSameContent_AreEqual()
    {
        var a = new LabelRequirement("k", LabelOperator.In, ["a", "b"]);
        var b = new LabelRequirement("k", LabelOperator.In, new List<string> { "a", "b" });

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, new LabelRequirement("k", LabelOperator.NotIn, ["a", "b"]));
        Assert.NotEqual(a, new LabelRequirement("k", LabelOperator.In, ["a"]));
    }

    // ---- syntax errors ----

    [Theory]
    [InlineData(",", "found ',', expected: !, identifier, or 'end of string'")]
    [InlineData("(", "found '(', expected: !, identifier, or 'end of string'")]
    [InlineData("=a", "found '=', expected: !, identifier, or 'end of string'")]
    [InlineData("a,", "found '', expected: identifier after ','")]
    [InlineData("a, ", "found '', expected: identifier after ','")]
    [InlineData("a,,b", "found ',', expected: identifier after ','")]
    [InlineData("a,=b", "found '=', expected: identifier after ','")]
    [InlineData("a=b c", "found 'c', expected: ',' or 'end of string'")]
    [InlineData("a in (b) c", "found 'c', expected: ',' or 'end of string'")]
    [InlineData("!a=b", "found '=', expected: ',' or 'end of string'")]
    [InlineData("a=b)", "found ')', expected: ',' or 'end of string'")]
    public void Parse_MisplacedToken_ThrowsBadRequest(string text, string expected)
    {
        Assert.Equal(expected, ParseError(text));
    }

    [Theory]
    [InlineData("!", "found '', expected: identifier")]
    [InlineData("!,a", "found ',', expected: identifier")]
    [InlineData("!!a", "found '!', expected: identifier")]
    [InlineData("!(", "found '(', expected: identifier")]
    [InlineData("a b", "found 'b', expected: in, notin, =, ==, !=, gt, lt")]
    [InlineData("a (b)", "found '(', expected: in, notin, =, ==, !=, gt, lt")]
    [InlineData("a !b", "found '!', expected: in, notin, =, ==, !=, gt, lt")]
    [InlineData("a in b", "found 'b' expected: '('")]
    [InlineData("a in", "found '' expected: '('")]
    [InlineData("a notin", "found '' expected: '('")]
    [InlineData("a in (", "found '', expected: ',', ')' or identifier")]
    [InlineData("a in (=)", "found '=', expected: ',', ')' or identifier")]
    [InlineData("a in (b", "found '', expected: ',' or ')'")]
    [InlineData("a in (b c)", "found 'c', expected: ',' or ')'")]
    [InlineData("a in (b,", "found '', expected: ',', or identifier")]
    [InlineData("a in (b,=)", "found '=', expected: ',', or identifier")]
    [InlineData("a in (b,(", "found '(', expected: ',', or identifier")]
    // Upstream quirk: a doubled comma consumes the second comma, so a ')' right after it is unexpected.
    [InlineData("a in (,,)", "found ')', expected: ',', or identifier")]
    [InlineData("a in (b,,)", "found ')', expected: ',', or identifier")]
    [InlineData("a=(b)", "found '(', expected: identifier")]
    [InlineData("a!==b", "found '=', expected: identifier")]
    [InlineData("a<>b", "found '>', expected: identifier")]
    [InlineData("a==!b", "found '!', expected: identifier")]
    public void Parse_MalformedRequirement_ThrowsBadRequestWithPrefix(string text, string expected)
    {
        Assert.Equal("unable to parse requirement: " + expected, ParseError(text));
    }

    // ---- key validation ----

    [Fact]
    public void Parse_InvalidKeyCharacters_ThrowsUpstreamMessage()
    {
        Assert.Equal(
            "unable to parse requirement: <nil>: Invalid value: \"-a\": " + NamePartRule,
            ParseError("-a=b"));
    }

    [Theory]
    [InlineData("a/b/c")]
    [InlineData("/a")]
    [InlineData("Example.com/a")]
    [InlineData("a$")]
    [InlineData("app:monolith")]
    public void Parse_InvalidKey_ReportsQualifiedNameErrors(string key)
    {
        var expected = "unable to parse requirement: <nil>: Invalid value: \"" + key + "\": "
                       + string.Join("; ", NameValidation.IsQualifiedName(key));

        Assert.Equal(expected, ParseError(key));
        Assert.Equal(expected, ParseError(key + "=x"));
        Assert.Equal(expected, ParseError("!" + key));
    }

    [Fact]
    public void Parse_KeyNameTooLong_ThrowsBadRequest()
    {
        var key = new string('a', 64);

        Assert.Equal(
            "unable to parse requirement: <nil>: Invalid value: \"" + key + "\": name part must be no more than 63 characters",
            ParseError(key));
        Assert.Single(LabelSelector.Parse(new string('a', 63)).Requirements);
    }

    [Fact]
    public void Parse_InvalidKeyWithQuote_QuotesLikeGo()
    {
        var message = ParseError("a\"b=c");

        Assert.StartsWith("unable to parse requirement: <nil>: Invalid value: \"a\\\"b\": ", message);
    }

    // ---- value validation ----

    [Fact]
    public void Parse_InvalidValue_ThrowsUpstreamMessage()
    {
        Assert.Equal(
            "unable to parse requirement: values[0][env]: Invalid value: \"a$b\": " + LabelValueRule,
            ParseError("env=a$b"));
    }

    [Theory]
    [InlineData("env!=-x", "-x")]
    [InlineData("env==x.", "x.")]
    [InlineData("env in (ok,b@d)", "b@d")]
    [InlineData("env notin (b@d)", "b@d")]
    public void Parse_InvalidValueForAnyOperator_ThrowsBadRequest(string text, string value)
    {
        Assert.Equal(
            "unable to parse requirement: values[0][env]: Invalid value: \"" + value + "\": " + LabelValueRule,
            ParseError(text));
    }

    [Fact]
    public void Parse_SeveralInvalidValues_AggregatesInSortedOrder()
    {
        Assert.Equal(
            "unable to parse requirement: [values[0][env]: Invalid value: \"a$\": " + LabelValueRule
            + ", values[1][env]: Invalid value: \"c$\": " + LabelValueRule + "]",
            ParseError("env in (c$,ok,a$)"));
    }

    [Fact]
    public void Parse_ValueTooLong_ThrowsBadRequest()
    {
        var value = new string('v', 64);

        Assert.Equal(
            "unable to parse requirement: values[0][k]: Invalid value: \"" + value + "\": must be no more than 63 characters",
            ParseError("k=" + value));
        Assert.Single(LabelSelector.Parse("k=" + new string('v', 63)).Requirements);
    }

    [Fact]
    public void Parse_ValueWithControlAndNonAsciiCharacters_QuotesLikeGo()
    {
        Assert.StartsWith("unable to parse requirement: values[0][k]: Invalid value: \"a\\x01\\u200bé\\\\\": ",
            ParseError("k=a\u0001\u200bé\\"));
    }

    [Theory]
    [InlineData("k>a", "a")]
    [InlineData("k<1a", "1a")]
    [InlineData("k>", "")]
    [InlineData("k>9223372036854775808", "9223372036854775808")]
    public void Parse_IntegerComparisonWithNonInteger_ThrowsBadRequest(string text, string value)
    {
        Assert.Equal(
            "unable to parse requirement: values[0]: Invalid value: \"" + value + "\": " + IntegerRule,
            ParseError(text));
    }

    [Fact]
    public void Parse_IntegerComparisonWithNegativeValue_FailsLabelValueRule()
    {
        Assert.Equal(
            "unable to parse requirement: values[0][k]: Invalid value: \"-1\": " + LabelValueRule,
            ParseError("k>-1"));
    }

    [Fact]
    public void Parse_IntegerComparisonWithInvalidNonInteger_ReportsBothErrors()
    {
        Assert.Equal(
            "unable to parse requirement: [values[0]: Invalid value: \"a-\": " + IntegerRule
            + ", values[0][k]: Invalid value: \"a-\": " + LabelValueRule + "]",
            ParseError("k<a-"));
    }

    [Fact]
    public void Parse_FirstErrorWins_LaterTermsNotValidated()
    {
        Assert.Equal("unable to parse requirement: found ',', expected: identifier", ParseError("!,a$"));
        Assert.StartsWith("unable to parse requirement: values[0][a]:", ParseError("a=$,b c"));
    }

    // ---- robustness ----

    [Fact]
    public void Parse_RandomInput_OnlyEverThrowsBadRequest()
    {
        const string alphabet = "ab/.-_1=!(),<> \tin\0\"é$";
        var random = new Random(20240601);
        for (var i = 0; i < 20000; i++)
        {
            var length = random.Next(0, 16);
            var chars = new char[length];
            for (var j = 0; j < length; j++) chars[j] = alphabet[random.Next(alphabet.Length)];
            var text = new string(chars);
            try
            {
                var selector = LabelSelector.Parse(text);
                // Whatever parses must render to text that parses to the same requirements.
                Assert.Equal(selector.Requirements, LabelSelector.Parse(selector.ToString()).Requirements);
                selector.Matches(Labels(("a", "1"), ("b", "")));
            }
            catch (ApiStatusException ex)
            {
                Assert.Equal(400, ex.Code);
                Assert.Equal("BadRequest", ex.Reason);
            }
        }
    }

    [Fact]
    public void Parse_LongInput_CompletesWithoutRecursion()
    {
        var text = string.Join(",", Enumerable.Range(0, 5000).Select(i => $"k{i} in (a,b,,c)"));

        var selector = LabelSelector.Parse(text);

        Assert.Equal(5000, selector.Requirements.Count);
        Assert.Equal(
            "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt",
            ParseError("a" + new string('(', 10000)));
    }
}
