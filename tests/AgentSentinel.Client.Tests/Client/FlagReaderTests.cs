using AgentSentinel.Core.Remediation;

namespace AgentSentinel.Client.Tests.Client;

public sealed class FlagReaderTests
{
    private const long Now = 1_700_000_000_000;

    private static FlagState Flag(FlagRoute route, string fallback = "cached", double? ratio = null, long expiresAt = Now + 60_000) =>
        new("a", route, fallback, ratio, "token_spike", "", [], "inc-1", 1, Now - 1_000, expiresAt, 1);

    [Fact]
    public void No_flag_reads_primary() =>
        Assert.Equal(RouteDecision.Primary, FlagReader.Choose(null, Now, 0.99));

    [Fact]
    public void Primary_flag_reads_primary() =>
        Assert.Equal(RouteDecision.Primary, FlagReader.Choose(Flag(FlagRoute.Primary), Now, 0.5));

    [Fact]
    public void Fallback_flag_reads_its_fallback()
    {
        Assert.Equal(FlagRoute.Fallback, FlagReader.EffectiveRoute(Flag(FlagRoute.Fallback, "gpt-4o-mini"), Now));
        Assert.Equal(new RouteDecision(FlagRoute.Fallback, "gpt-4o-mini"), FlagReader.Choose(Flag(FlagRoute.Fallback, "gpt-4o-mini"), Now, 0.0));
    }

    [Fact]
    public void Flag_at_or_past_expires_at_reads_primary()
    {
        var flag = Flag(FlagRoute.Fallback, expiresAt: Now);

        Assert.Equal(FlagRoute.Fallback, FlagReader.EffectiveRoute(flag, Now - 1));
        Assert.Equal(FlagRoute.Primary, FlagReader.EffectiveRoute(flag, Now));
        Assert.Equal(RouteDecision.Primary, FlagReader.Choose(flag, Now + 1, 0.5));
    }

    [Theory]
    [InlineData(0.3, 0.0, true)]
    [InlineData(0.3, 0.2999, true)]
    [InlineData(0.3, 0.3, false)]
    [InlineData(0.3, 0.99, false)]
    [InlineData(0.0, 0.0, false)]
    [InlineData(1.0, 0.9999, true)]
    [InlineData(7.0, 0.9999, true)]
    [InlineData(-1.0, 0.0, false)]
    public void Probe_sends_probe_ratio_of_requests_to_primary(double ratio, double sample, bool primary)
    {
        var target = FlagReader.Choose(Flag(FlagRoute.Probe, ratio: ratio), Now, sample);

        Assert.Equal(primary, target.IsPrimary);
        Assert.Equal(primary ? null : "cached", target.Fallback);
        Assert.True(target.Probing);
        Assert.Equal(primary ? "primary" : "fallback", target.AttributeValue);
    }

    [Fact]
    public void Probe_without_a_valid_ratio_sends_nothing_to_primary()
    {
        Assert.Equal(new RouteDecision(FlagRoute.Fallback, "cached", Probing: true), FlagReader.Choose(Flag(FlagRoute.Probe, ratio: null), Now, 0.0));
        Assert.Equal(new RouteDecision(FlagRoute.Fallback, "cached", Probing: true), FlagReader.Choose(Flag(FlagRoute.Probe, ratio: double.NaN), Now, 0.0));
    }

    [Theory]
    [InlineData(FlagRoute.Fallback)]
    [InlineData(FlagRoute.Probe)]
    public void Flag_without_a_fallback_name_cannot_be_followed_and_reads_primary(FlagRoute route) =>
        Assert.Equal(RouteDecision.Primary, FlagReader.Choose(Flag(route, fallback: "", ratio: 0.1), Now, 0.5));

    private static Dictionary<string, string> Fields(params (string Name, string Value)[] overrides)
    {
        var fields = new Dictionary<string, string>
        {
            ["route"] = "fallback", ["fallback"] = "cached", ["probe_ratio"] = "", ["reason"] = "token_spike",
            ["detail"] = "tokens 870 -> 9120", ["trace_ids"] = "4bf92f3577b34da6a3ce929d0e0e4736,00f067aa0ba902b7",
            ["incident"] = "inc-1", ["version"] = "4", ["updated_at"] = "1700000000000", ["expires_at"] = "1700000060000", ["schema"] = "1",
        };
        foreach (var (name, value) in overrides)
        {
            fields[name] = value;
        }

        return fields;
    }

    [Fact]
    public void Parse_reads_a_written_flag()
    {
        var read = FlagReader.Parse("a", Fields());

        Assert.Equal(FlagReadStatus.Valid, read.Status);
        Assert.Null(read.Problem);
        Assert.Equal(new FlagState("a", FlagRoute.Fallback, "cached", null, "token_spike", "tokens 870 -> 9120", read.State!.TraceIds, "inc-1", 4, 1_700_000_000_000, 1_700_000_060_000, 1), read.State);
        Assert.Equal(["4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"], read.State.TraceIds);
    }

    [Fact]
    public void Parse_of_no_fields_is_absent() =>
        Assert.Equal(new FlagRead(FlagReadStatus.Absent, null, null), FlagReader.Parse("a", new Dictionary<string, string>()));

    [Theory]
    [InlineData("version", "")]
    [InlineData("version", " 4")]
    [InlineData("version", "+4")]
    [InlineData("updated_at", "1.7e12")]
    [InlineData("expires_at", "soon")]
    [InlineData("expires_at", "99999999999999999999")]
    [InlineData("probe_ratio", "1.5")]
    [InlineData("probe_ratio", "NaN")]
    [InlineData("probe_ratio", "-0.1")]
    public void Parse_ignores_a_flag_with_a_bad_number(string field, string value)
    {
        var read = FlagReader.Parse("a", Fields((field, value)));

        Assert.Equal(FlagReadStatus.Malformed, read.Status);
        Assert.Null(read.State);
        Assert.Contains(field, read.Problem, StringComparison.Ordinal);
        Assert.DoesNotContain(value.Length > 0 ? value : "\0", read.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ignores_a_probe_without_a_ratio() =>
        Assert.Equal(FlagReadStatus.Malformed, FlagReader.Parse("a", Fields(("route", "probe"), ("probe_ratio", ""))).Status);

    [Theory]
    [InlineData("2")]
    [InlineData("0")]
    [InlineData("")]
    [InlineData("v1")]
    public void Parse_does_not_follow_another_schema(string schema)
    {
        var read = FlagReader.Parse("a", Fields(("schema", schema)));

        Assert.Equal(FlagReadStatus.UnsupportedSchema, read.Status);
        Assert.Null(read.State);
        Assert.Equal(RouteDecision.Primary, FlagReader.Choose(read.State, Now, 0.5));
    }

    [Theory]
    [InlineData("Fallback")]
    [InlineData("off")]
    [InlineData("")]
    public void Parse_reads_an_unknown_route_as_primary(string route)
    {
        var read = FlagReader.Parse("a", Fields(("route", route)));

        Assert.Equal(FlagReadStatus.Valid, read.Status);
        Assert.Equal(FlagRoute.Primary, read.State!.Route);
        Assert.NotNull(read.Problem);
        Assert.Equal(RouteDecision.Primary, FlagReader.Choose(read.State, Now, 0.5));
    }
}
