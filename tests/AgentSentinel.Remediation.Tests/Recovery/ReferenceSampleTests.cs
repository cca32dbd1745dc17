using AgentSentinel.Core.Anomalies;
using AgentSentinel.Detection.Features;
using AgentSentinel.Remediation.Policies;
using AgentSentinel.Remediation.Recovery;

namespace AgentSentinel.Remediation.Tests.Recovery;

public sealed class ReferenceSampleTests
{
    private static readonly RecoverySettings Settings = new(0.05, 0.1, 5, 0.2);

    private static TraceFeatures Tokens(long output) => TraceFeatures.Compute(new TraceBuilder(1).Llm(0, output).Build());

    [Fact]
    public void Counts_up_to_its_capacity()
    {
        var sample = new ReferenceSample(capacity: 3);

        Assert.Equal(0, sample.Count);
        sample.Add(Tokens(100));
        sample.Add(Tokens(100));
        Assert.Equal(2, sample.Count);
        sample.Add(Tokens(100));
        sample.Add(Tokens(100));
        Assert.Equal(3, sample.Count);
        Assert.Equal(3, sample.Capacity);
        Assert.Equal(ReferenceSample.DefaultCapacity, new ReferenceSample().Capacity);
    }

    [Fact]
    public void The_oldest_trace_leaves_first()
    {
        var sample = new ReferenceSample(capacity: 3);
        sample.Add(Tokens(10_000));
        sample.Add(Tokens(100));
        sample.Add(Tokens(110));
        Assert.Equal(10_000, RecoveryCheck.For(AnomalyKinds.TokenDrift, sample, Settings).Threshold);

        sample.Add(Tokens(120));

        // Only 100, 110, 120 remain: the small-reference threshold is max(120, 1.5 × median 110).
        Assert.Equal(165, RecoveryCheck.For(AnomalyKinds.TokenDrift, sample, Settings).Threshold, 3);
    }

    [Fact]
    public void Clearing_forgets_every_trace()
    {
        var sample = new ReferenceSample(capacity: 4);
        sample.Add(Tokens(100));
        sample.Clear();

        Assert.Equal(0, sample.Count);
        Assert.Equal(0, RecoveryCheck.For(AnomalyKinds.TokenDrift, sample, Settings).ReferenceCount);
    }

    [Fact]
    public void A_capacity_below_one_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReferenceSample(0));

    [Fact]
    public void Adding_allocates_nothing()
    {
        var sample = new ReferenceSample(capacity: 64);
        var features = TraceFeatures.Compute(new TraceBuilder(1).Retrieval(3, 0.7).Llm(1200, 200, cost: 0.01).Tool("search", 1, 2).Llm(1000, 100).Build());
        sample.Add(features);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            sample.Add(features);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }
}
