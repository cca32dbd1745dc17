using AgentSentinel.Remediation.Policies;

namespace AgentSentinel.Remediation.Tests.Policies;

public sealed class ProbeSettingsTests
{
    private static ProbeSettings Probe(TimeSpan after, double multiplier, TimeSpan max) =>
        new(after, 0.1, 20, TimeSpan.FromMinutes(10), new BackoffSettings(multiplier, max), 0);

    [Fact]
    public void Time_in_fallback_doubles_with_each_failed_probe_up_to_the_cap()
    {
        var probe = Probe(TimeSpan.FromMinutes(5), 2, TimeSpan.FromHours(1));

        Assert.Equal(TimeSpan.FromMinutes(5), probe.FallbackDuration(0));
        Assert.Equal(TimeSpan.FromMinutes(10), probe.FallbackDuration(1));
        Assert.Equal(TimeSpan.FromMinutes(20), probe.FallbackDuration(2));
        Assert.Equal(TimeSpan.FromMinutes(40), probe.FallbackDuration(3));
        Assert.Equal(TimeSpan.FromHours(1), probe.FallbackDuration(4));   // 80m capped
        Assert.Equal(TimeSpan.FromHours(1), probe.FallbackDuration(10));
    }

    [Theory]
    [InlineData(64)]
    [InlineData(10_000)]
    [InlineData(int.MaxValue)]
    public void Many_failures_saturate_at_the_cap_without_overflow(int failures)
    {
        var probe = Probe(TimeSpan.FromMinutes(5), 100, TimeSpan.FromDays(30));
        Assert.Equal(TimeSpan.FromDays(30), probe.FallbackDuration(failures));
    }

    [Fact]
    public void A_multiplier_of_one_keeps_the_first_duration_and_negative_counts_mean_none()
    {
        var probe = Probe(TimeSpan.FromMinutes(5), 1, TimeSpan.FromHours(1));

        Assert.Equal(TimeSpan.FromMinutes(5), probe.FallbackDuration(7));
        Assert.Equal(TimeSpan.FromMinutes(5), probe.FallbackDuration(-1));
    }

    [Fact]
    public void Backoff_from_a_policy_file_follows_its_settings()
    {
        var set = PolicyLoader.Parse(
            "policies:\n  - name: a\n    match: {}\n    probe: { after: 90s, backoff: { multiplier: 3, max: 30m } }\n",
            PolicyFormat.Yaml,
            "t");
        var probe = set.Policies[0].Probe;

        Assert.Equal(TimeSpan.FromSeconds(90), probe.FallbackDuration(0));
        Assert.Equal(TimeSpan.FromSeconds(270), probe.FallbackDuration(1));
        Assert.Equal(TimeSpan.FromSeconds(810), probe.FallbackDuration(2));
        Assert.Equal(TimeSpan.FromMinutes(30), probe.FallbackDuration(3)); // 2430s capped
    }
}
