using AgentSentinel.Detection.Detectors.Silence;

namespace AgentSentinel.Detection.Tests.Detectors.Silence;

public sealed class SilenceOptionsTests
{
    private const string P = "Detection:Silence:";

    [Fact]
    public void Defaults_are_valid()
    {
        Assert.Empty(new SilenceOptions().Validate(P));
    }

    public static TheoryData<Action<SilenceOptions>, string> Invalid => new()
    {
        { o => o.Threshold = 0.5, P + "Threshold must be between 1 and 100" },
        { o => o.Threshold = double.NaN, P + "Threshold must be between 1 and 100" },
        { o => (o.MinGap, o.MaxWatermarkStep) = (TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(1)), P + "MinGap must be between" },
        { o => o.RateHalfLife = TimeSpan.FromDays(8), P + "RateHalfLife must be between" },
        { o => o.WarmupTraces = 1, P + "WarmupTraces must be between 2 and 1000000" },
        { o => o.WarmupDuration = TimeSpan.FromSeconds(-1), P + "WarmupDuration must be between" },
        { o => o.GapQuantile = 1, P + "GapQuantile must be ≥ 0.5 and < 1" },
        { o => o.GapFactor = -1, P + "GapFactor must be between 0 and 1000" },
        { o => o.MaxWatermarkStep = TimeSpan.Zero, P + "MaxWatermarkStep must be > 00:00:00" },
        { o => o.MaxWatermarkStep = TimeSpan.FromMinutes(5), P + "MaxWatermarkStep must be < MinGap" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Each_invalid_value_is_reported_under_its_key(Action<SilenceOptions> change, string expected)
    {
        var options = new SilenceOptions();
        change(options);
        var error = Assert.Single(options.Validate(P));
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
    }
}
