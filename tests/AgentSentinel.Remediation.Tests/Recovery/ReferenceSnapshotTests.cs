using System.Buffers.Binary;
using AgentSentinel.Core.Anomalies;
using AgentSentinel.Detection.Features;
using AgentSentinel.Remediation.Policies;
using AgentSentinel.Remediation.Recovery;

namespace AgentSentinel.Remediation.Tests.Recovery;

public sealed class ReferenceSnapshotTests
{
    private static readonly RecoverySettings Settings = new(Alpha: 0.05, Beta: 0.1, FaultRateMultiplier: 5, MinRateIncrease: 0.2);

    private static TraceFeatures Tokens(long output) => TraceFeatures.Compute(new TraceBuilder(1).Llm(0, output).Build());

    /// <summary>600 traces of a healthy agent with the odd loop and runaway, fed to each sample in turn.</summary>
    private static void Feed(bool withCost, params ReferenceSample[] samples)
    {
        var traffic = new ProbeTraffic(seed: 7, withCost);
        var background = new Fault { LoopShare = 0.01, RunawayShare = 0.01 };
        for (var i = 0; i < 600; i++)
        {
            var features = traffic.Features(background);
            foreach (var sample in samples)
            {
                sample.Add(features);
            }
        }
    }

    private static void AssertSameCheck(RecoveryCheck expected, RecoveryCheck actual)
    {
        Assert.Equal(expected.ReferenceCount, actual.ReferenceCount);
        Assert.Equal(expected.ReferenceBad, actual.ReferenceBad);
        Assert.Equal(expected.Feature, actual.Feature);
        Assert.Equal(expected.Threshold, actual.Threshold);
        Assert.Equal(expected.BaselineRate, actual.BaselineRate);
        Assert.Equal(expected.FaultRate, actual.FaultRate);
        Assert.Equal(expected.Rule, actual.Rule);
    }

    [Theory]
    [InlineData(AnomalyKinds.TokenSpike, true)]
    [InlineData(AnomalyKinds.LatencySpike, true)]
    [InlineData(AnomalyKinds.CostSpike, true)]
    [InlineData(AnomalyKinds.CostDrift, false)]
    [InlineData(AnomalyKinds.ToolLoop, true)]
    [InlineData(AnomalyKinds.RunawayDepth, true)]
    [InlineData(AnomalyKinds.LengthSurge, true)]
    [InlineData(AnomalyKinds.RetrievalDegradation, true)]
    [InlineData(AnomalyKinds.ModelChange, false)]
    [InlineData(AnomalyKinds.Silence, true)]
    public void A_restored_reference_gives_the_same_check_as_the_newest_traces_it_was_taken_from(string kind, bool withCost)
    {
        var live = new ReferenceSample();
        var newest = new ReferenceSample(capacity: ReferenceSample.DefaultSnapshotTraces);
        Feed(withCost, live, newest);

        var restored = new ReferenceSample();
        Assert.True(restored.TryImport(live.ToSnapshot()));
        var restoredWhole = new ReferenceSample();
        Assert.True(restoredWhole.TryImport(live.ToSnapshot(maxTraces: live.Capacity)));

        Assert.Equal(ReferenceSample.DefaultSnapshotTraces, restored.Count);
        AssertSameCheck(RecoveryCheck.For(kind, newest, Settings), RecoveryCheck.For(kind, restored, Settings));
        Assert.Equal(live.Count, restoredWhole.Count);
        AssertSameCheck(RecoveryCheck.For(kind, live, Settings), RecoveryCheck.For(kind, restoredWhole, Settings));
    }

    [Fact]
    public void Only_the_newest_traces_are_written_and_they_leave_oldest_first_after_the_restore()
    {
        var live = new ReferenceSample(capacity: 4);
        foreach (var output in new long[] { 50, 60, 10_000, 100, 110 })
        {
            live.Add(Tokens(output));
        }

        var restored = new ReferenceSample(capacity: 3);
        Assert.True(restored.TryImport(live.ToSnapshot(maxTraces: 3)));

        // 10 000, 100, 110: the small-reference threshold is the maximum.
        Assert.Equal(3, restored.Count);
        Assert.Equal(10_000, RecoveryCheck.For(AnomalyKinds.TokenDrift, restored, Settings).Threshold);

        restored.Add(Tokens(120));

        // 10 000 was the oldest: 100, 110, 120 remain, threshold max(120, 1.5 × median 110).
        Assert.Equal(165, RecoveryCheck.For(AnomalyKinds.TokenDrift, restored, Settings).Threshold, 3);
    }

    [Fact]
    public void A_smaller_sample_keeps_the_newest_traces_of_the_snapshot()
    {
        var live = new ReferenceSample(capacity: 8);
        foreach (var output in new long[] { 10_000, 9_000, 100, 110 })
        {
            live.Add(Tokens(output));
        }

        var restored = new ReferenceSample(capacity: 2);
        Assert.True(restored.TryImport(live.ToSnapshot()));

        // 100, 110: max(110, 1.5 × median 100).
        Assert.Equal(2, restored.Count);
        Assert.Equal(150, RecoveryCheck.For(AnomalyKinds.TokenDrift, restored, Settings).Threshold, 3);
    }

    [Fact]
    public void The_text_is_deterministic_and_keeps_the_order_of_a_wrapped_ring()
    {
        var live = new ReferenceSample(capacity: 5);
        var traffic = new ProbeTraffic(seed: 3);
        for (var i = 0; i < 13; i++)
        {
            live.Add(traffic.Features());
        }

        var snapshot = live.ToSnapshot();
        var restored = new ReferenceSample(capacity: 9);
        Assert.True(restored.TryImport(snapshot));

        Assert.StartsWith("v1:", snapshot, StringComparison.Ordinal);
        Assert.Equal(snapshot, live.ToSnapshot());
        Assert.Equal(snapshot, restored.ToSnapshot());

        // Oldest first: the last two traces written are the two newest.
        var next = traffic.Features();
        restored.Add(next);
        live.Add(next);
        Assert.Equal(live.ToSnapshot(maxTraces: 2), restored.ToSnapshot(maxTraces: 2));
    }

    [Fact]
    public void A_snapshot_of_128_traces_stays_well_under_16_KB()
    {
        var live = new ReferenceSample();
        Feed(withCost: true, live);

        var snapshot = live.ToSnapshot();

        // "v1:" + base64 of 128 × 49 bytes and a 4-byte hash.
        Assert.Equal(8_371, snapshot.Length);
        Assert.True(snapshot.Length < 16 * 1024);
        Assert.True(live.ToSnapshot(maxTraces: live.Capacity).Length < 64 * 1024);
    }

    [Fact]
    public void An_empty_sample_round_trips_and_empties_the_target()
    {
        var empty = new ReferenceSample().ToSnapshot();
        var target = new ReferenceSample(capacity: 4);
        target.Add(Tokens(100));
        target.Add(Tokens(200));

        Assert.True(target.TryImport(empty));

        Assert.Equal(0, target.Count);
        Assert.Equal(0, RecoveryCheck.For(AnomalyKinds.TokenDrift, target, Settings).ReferenceCount);
        Assert.Equal(empty, target.ToSnapshot());
        target.Add(Tokens(100));
        Assert.Equal(empty, target.ToSnapshot(maxTraces: 0));
    }

    [Fact]
    public void A_negative_trace_count_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReferenceSample().ToSnapshot(-1));

    public static TheoryData<string> BadSnapshots()
    {
        var sample = new ReferenceSample();
        var traffic = new ProbeTraffic(seed: 11);
        for (var i = 0; i < 10; i++)
        {
            sample.Add(traffic.Features());
        }

        var good = sample.ToSnapshot();
        var payload = good["v1:".Length..];
        var middle = good.Length / 2;
        var flipped = good[..middle] + (good[middle] == 'A' ? 'B' : 'A') + good[(middle + 1)..];

        // Whole traces and a matching hash, but a failed flag of 2.
        var bytes = Convert.FromBase64String(payload);
        bytes[48] = 2;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), ReferenceSnapshot.Fnv1a(bytes.AsSpan(0, bytes.Length - 4)));
        var badFlag = "v1:" + Convert.ToBase64String(bytes);

        // Matching hash but a length that is not whole traces.
        var ragged = new byte[49 + 3 + 4];
        BinaryPrimitives.WriteUInt32LittleEndian(ragged.AsSpan(52), ReferenceSnapshot.Fnv1a(ragged.AsSpan(0, 52)));

        return
        [
            "",
            "   ",
            "v1:",
            "v1",
            "v2:" + payload,
            "V1:" + payload,
            payload,
            "v1:@@@@not base64",
            good[..^4],
            good[..^1],
            good[..(good.Length / 2)],
            good + "AAAA",
            flipped,
            badFlag,
            "v1:" + Convert.ToBase64String(ragged),
            "v1:" + Convert.ToBase64String(new byte[3]),
        ];
    }

    [Theory]
    [MemberData(nameof(BadSnapshots))]
    public void A_garbled_truncated_or_foreign_snapshot_is_refused_and_leaves_the_sample_unchanged(string snapshot)
    {
        var sample = new ReferenceSample(capacity: 16);
        var traffic = new ProbeTraffic(seed: 5);
        for (var i = 0; i < 20; i++)
        {
            sample.Add(traffic.Features());
        }

        var before = sample.ToSnapshot();

        Assert.False(sample.TryImport(snapshot));

        Assert.Equal(16, sample.Count);
        Assert.Equal(before, sample.ToSnapshot());
    }

    [Fact]
    public void A_null_or_oversized_snapshot_is_refused()
    {
        var sample = new ReferenceSample(capacity: 2);
        sample.Add(Tokens(100));

        Assert.False(sample.TryImport(null));
        Assert.False(sample.TryImport("v1:" + new string('A', ReferenceSnapshot.MaxChars)));
        Assert.Equal(1, sample.Count);
    }
}
