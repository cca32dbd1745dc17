using AgentSentinel.Detection.Multivariate;

namespace AgentSentinel.Detection.Tests.Multivariate;

public sealed class MultivariateOptionsTests
{
    [Fact]
    public void The_defaults_are_valid()
    {
        Assert.Empty(new MultivariateOptions().Validate("Detection:Multivariate:"));
        Assert.Empty(new DetectionOptions().Validate());
    }

    [Theory]
    [InlineData(nameof(MultivariateOptions.Rank), 0)]
    [InlineData(nameof(MultivariateOptions.Rank), TraceFeatureVector.Count)]
    [InlineData(nameof(MultivariateOptions.Oversampling), -1)]
    [InlineData(nameof(MultivariateOptions.TrainingWindow), 10)]
    [InlineData(nameof(MultivariateOptions.MinTrainingTraces), 5)]
    [InlineData(nameof(MultivariateOptions.MinTrainingTraces), 5000)]
    [InlineData(nameof(MultivariateOptions.RetrainEvery), 0)]
    [InlineData(nameof(MultivariateOptions.SwapAfterTraces), -1)]
    [InlineData(nameof(MultivariateOptions.SwapAfterTraces), 501)]
    [InlineData(nameof(MultivariateOptions.FalsePositiveBudget), 0.0)]
    [InlineData(nameof(MultivariateOptions.FalsePositiveBudget), 0.5)]
    [InlineData(nameof(MultivariateOptions.ThresholdMargin), 0.9)]
    [InlineData(nameof(MultivariateOptions.MinResidualThreshold), 0.0)]
    [InlineData(nameof(MultivariateOptions.AdoptAfter), 0)]
    [InlineData(nameof(MultivariateOptions.ConfirmWindow), 0)]
    [InlineData(nameof(MultivariateOptions.ConfirmCount), 0)]
    [InlineData(nameof(MultivariateOptions.ConfirmCount), 7)]
    [InlineData(nameof(MultivariateOptions.ExtremeFactor), 0.5)]
    public void An_invalid_value_is_reported_under_its_full_key(string key, double value)
    {
        var options = new DetectionOptions();
        var property = typeof(MultivariateOptions).GetProperty(key)!;
        property.SetValue(options.Multivariate, property.PropertyType == typeof(int) ? (object)(int)value : value);

        var errors = options.Validate().ToList();

        // The first error names the key; a few keys also break a cross-field rule that names the other key.
        Assert.InRange(errors.Count, 1, 2);
        Assert.StartsWith($"Detection:Multivariate:{key} must", errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_prefix_is_a_programming_error()
    {
        Assert.Throws<ArgumentNullException>(() => new MultivariateOptions().Validate(null!));
    }
}
