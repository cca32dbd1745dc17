using AgentSentinel.Detection.Detectors.ModelChange;

namespace AgentSentinel.Detection.Tests.Detectors.ModelChange;

public sealed class ModelChangeOptionsTests
{
    private const string P = "Detection:ModelChange:";

    [Fact]
    public void Defaults_are_valid()
    {
        Assert.Empty(new ModelChangeOptions().Validate(P));
    }

    public static TheoryData<Action<ModelChangeOptions>, string> Invalid => new()
    {
        { o => o.Window = 3, P + "Window must be between 4 and 1000" },
        { o => o.MinShare = 0, P + "MinShare must be > 0 and ≤ 1" },
        { o => o.Threshold = double.PositiveInfinity, P + "Threshold must be between 1 and 100" },
        { o => o.RareShare = 0.5, P + "RareShare must be > 0 and < 0.5" },
        { o => o.DominantShare = 0.5, P + "DominantShare must be > 0.5 and ≤ 1" },
        { o => o.WarmupTraces = 0, P + "WarmupTraces must be between 1 and 1000000" },
        { o => o.MaxModels = 1, P + "MaxModels must be between 2 and 1024" },
        { o => o.BaselineHalfLifeTraces = 5, P + "BaselineHalfLifeTraces must be between 10 and 10000000" },
        { o => o.AcceptAfterTraces = 0, P + "AcceptAfterTraces must be between 1 and 10000000" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Each_invalid_value_is_reported_under_its_key(Action<ModelChangeOptions> change, string expected)
    {
        var options = new ModelChangeOptions();
        change(options);
        var error = Assert.Single(options.Validate(P));
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
    }
}
