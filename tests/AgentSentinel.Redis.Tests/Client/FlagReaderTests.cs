using AgentSentinel.Core.Remediation;
using AgentSentinel.Redis.Client;

namespace AgentSentinel.Redis.Tests.Client;

public sealed class FlagReaderTests
{
    private const long Now = 1_700_000_000_000;

    private static FlagState Flag(FlagRoute route, string fallback = "cached", double? ratio = null, long expiresAt = Now + 60_000) =>
        new("a", route, fallback, ratio, "token_spike", "", [], "inc-1", 1, Now - 1_000, expiresAt, 1);

    [Fact]
    public void No_flag_reads_primary() =>
        Assert.Equal(RouteTarget.Primary, FlagReader.Choose(null, Now, 0.99));

    [Fact]
    public void Primary_flag_reads_primary() =>
        Assert.Equal(RouteTarget.Primary, FlagReader.Choose(Flag(FlagRoute.Primary), Now, 0.5));

    [Fact]
    public void Fallback_flag_reads_its_fallback()
    {
        Assert.Equal(FlagRoute.Fallback, FlagReader.EffectiveRoute(Flag(FlagRoute.Fallback, "gpt-4o-mini"), Now));
        Assert.Equal(new RouteTarget(FlagRoute.Fallback, "gpt-4o-mini"), FlagReader.Choose(Flag(FlagRoute.Fallback, "gpt-4o-mini"), Now, 0.0));
    }

    [Fact]
    public void Flag_at_or_past_expires_at_reads_primary()
    {
        var flag = Flag(FlagRoute.Fallback, expiresAt: Now);

        Assert.Equal(FlagRoute.Fallback, FlagReader.EffectiveRoute(flag, Now - 1));
        Assert.Equal(FlagRoute.Primary, FlagReader.EffectiveRoute(flag, Now));
        Assert.Equal(RouteTarget.Primary, FlagReader.Choose(flag, Now + 1, 0.5));
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
    }

    [Fact]
    public void Probe_without_a_valid_ratio_sends_nothing_to_primary()
    {
        Assert.Equal(new RouteTarget(FlagRoute.Fallback, "cached"), FlagReader.Choose(Flag(FlagRoute.Probe, ratio: null), Now, 0.0));
        Assert.Equal(new RouteTarget(FlagRoute.Fallback, "cached"), FlagReader.Choose(Flag(FlagRoute.Probe, ratio: double.NaN), Now, 0.0));
    }

    [Theory]
    [InlineData(FlagRoute.Fallback)]
    [InlineData(FlagRoute.Probe)]
    public void Flag_without_a_fallback_name_cannot_be_followed_and_reads_primary(FlagRoute route) =>
        Assert.Equal(RouteTarget.Primary, FlagReader.Choose(Flag(route, fallback: "", ratio: 0.1), Now, 0.5));
}
