namespace AgentSentinel.Actors;

/// <summary>
/// Settings of trace assembly and the actor pipeline (configuration section <c>Pipeline</c>).
/// All closing rules are in event time (span timestamps), so a replay of the same records closes the same traces.
/// </summary>
public sealed class PipelineOptions
{
    public const string SectionName = "Pipeline";

    /// <summary>Trace assembler shards; a trace always goes to the same shard (hash of its id).</summary>
    public int AssemblerShards { get; set; } = 4;

    /// <summary>A trace whose root span has arrived closes once the watermark passes the root's end plus this.</summary>
    public TimeSpan TraceGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Any trace closes once the watermark passes its latest span end plus this (orphans, root-less traces).</summary>
    public TimeSpan TraceIdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Open traces kept over all shards; beyond it the trace closest to closing is closed early (<c>closed_by=evicted</c>).</summary>
    public int MaxOpenTraces { get; set; } = 100_000;

    /// <summary>A trace reaching this many spans is closed early (<c>closed_by=evicted</c>); its later spans count as late.</summary>
    public int MaxSpansPerTrace { get; set; } = 10_000;

    /// <summary>Closed trace ids remembered (over all shards) to recognise late spans, which are counted and dropped.</summary>
    public int LateSpanMemory { get; set; } = 200_000;

    /// <summary>
    /// Span ends later than the wall clock plus this do not move the watermark, so one span with a bogus timestamp cannot
    /// close every open trace. Replays of recorded data are not affected (their timestamps are in the past).
    /// </summary>
    public TimeSpan MaxFutureSkew { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Event time waits for a lagging partition: the watermark is the largest span end seen, but at most the slowest
    /// partition's largest span end plus <see cref="TraceGrace"/>, over the partitions that delivered a record within this
    /// much processing time. Partitions within the grace of each other change nothing (the grace absorbs that skew); one
    /// that is catching up (after a rebalance or an outage) holds event time back instead of having its traces closed
    /// early, its late spans dropped and its agents judged silent; one silent for longer (no traffic, or moved to another
    /// consumer) stops holding it. Null: the largest span end seen anywhere. A replay has one partition: no effect.
    /// </summary>
    public TimeSpan? PartitionIdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// When set, a period of processing time with no record moves the watermark on by that period, so that the last
    /// traces close when traffic stops (live use). Null (the default) keeps the pipeline purely event-time: a replay
    /// then closes its last traces with <c>FlushAsync</c>. Not deterministic: leave unset for replays.
    /// </summary>
    public TimeSpan? IdleWatermarkAdvance { get; set; }

    /// <summary>
    /// An agent actor idle for this long (processing time) is stopped to free memory; its baselines are lost and it warms
    /// up again on its next trace. Null or zero: never.
    /// </summary>
    public TimeSpan? AgentPassivation { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Agents are told about event-time progress (so that the silence detector runs) at most once per this much event
    /// time. Null: never (time-driven detectors then judge nothing). Steps that only the idle advance
    /// (<see cref="IdleWatermarkAdvance"/>) made are not passed on: when no record arrives at all, the input stopped, not
    /// the agents, and the silence detector counts such a jump as blind.
    /// </summary>
    public TimeSpan? AgentWatermarkInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The default of <see cref="AgentSilenceWatch"/>: one day.</summary>
    public static readonly TimeSpan DefaultAgentSilenceWatch = TimeSpan.FromDays(1);

    /// <summary>
    /// An idle agent whose silence detector is still watching its current gap (warm, no silence reported yet) is not
    /// passivated after <see cref="AgentPassivation"/> but kept until its silence is reported or until it has been idle
    /// this long in all (processing time), whichever comes first. Null or zero: passivation does not wait for silence
    /// (an agent slower than about 14 traces per <see cref="AgentPassivation"/> is then dropped before its silence shows).
    /// </summary>
    public TimeSpan? AgentSilenceWatch { get; set; } = DefaultAgentSilenceWatch;

    /// <summary>How long <c>AcceptAsync</c> waits for the assemblers to take a record before it fails (the offset is then not stored).</summary>
    public TimeSpan AcceptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long <c>FlushAsync</c> waits for every trace to be judged and every decision to be made.</summary>
    public TimeSpan FlushTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Every problem with these settings, each naming its key (empty when valid).</summary>
    public IEnumerable<string> Validate()
    {
        const string P = SectionName + ":";
        if (AssemblerShards is < 1 or > 256)
        {
            yield return $"{P}{nameof(AssemblerShards)} must be between 1 and 256 (was {AssemblerShards})";
        }

        if (TraceGrace < TimeSpan.Zero || TraceGrace > TimeSpan.FromHours(1))
        {
            yield return $"{P}{nameof(TraceGrace)} must be between 00:00:00 and 01:00:00 (was {TraceGrace})";
        }

        if (TraceIdleTimeout < TimeSpan.FromMilliseconds(1) || TraceIdleTimeout > TimeSpan.FromHours(24))
        {
            yield return $"{P}{nameof(TraceIdleTimeout)} must be between 00:00:00.001 and 1.00:00:00 (was {TraceIdleTimeout})";
        }

        if (MaxOpenTraces is < 1 or > 10_000_000)
        {
            yield return $"{P}{nameof(MaxOpenTraces)} must be between 1 and 10000000 (was {MaxOpenTraces})";
        }

        if (MaxSpansPerTrace is < 1 or > 1_000_000)
        {
            yield return $"{P}{nameof(MaxSpansPerTrace)} must be between 1 and 1000000 (was {MaxSpansPerTrace})";
        }

        if (LateSpanMemory is < 0 or > 10_000_000)
        {
            yield return $"{P}{nameof(LateSpanMemory)} must be between 0 and 10000000 (was {LateSpanMemory})";
        }

        if (MaxFutureSkew < TimeSpan.Zero)
        {
            yield return $"{P}{nameof(MaxFutureSkew)} must be ≥ 00:00:00 (was {MaxFutureSkew})";
        }

        if (PartitionIdleTimeout is { } partitionIdle && (partitionIdle < TimeSpan.FromMilliseconds(100) || partitionIdle > TimeSpan.FromHours(1)))
        {
            yield return $"{P}{nameof(PartitionIdleTimeout)} must be between 00:00:00.1 and 01:00:00, or unset (was {partitionIdle})";
        }

        if (IdleWatermarkAdvance is { } idle && (idle < TimeSpan.FromMilliseconds(100) || idle > TimeSpan.FromHours(1)))
        {
            yield return $"{P}{nameof(IdleWatermarkAdvance)} must be between 00:00:00.1 and 01:00:00, or unset (was {idle})";
        }

        if (AgentPassivation is { } passivation && passivation < TimeSpan.Zero)
        {
            yield return $"{P}{nameof(AgentPassivation)} must be ≥ 00:00:00, or unset (was {passivation})";
        }

        if (AgentWatermarkInterval is { } interval && (interval < TimeSpan.FromMilliseconds(1) || interval > TimeSpan.FromHours(1)))
        {
            yield return $"{P}{nameof(AgentWatermarkInterval)} must be between 00:00:00.001 and 01:00:00, or unset (was {interval})";
        }

        if (AgentSilenceWatch is { } watch && (watch < TimeSpan.Zero || watch > TimeSpan.FromDays(30)))
        {
            yield return $"{P}{nameof(AgentSilenceWatch)} must be between 00:00:00 and 30.00:00:00, or unset (was {watch})";
        }

        if (AcceptTimeout <= TimeSpan.Zero)
        {
            yield return $"{P}{nameof(AcceptTimeout)} must be > 00:00:00 (was {AcceptTimeout})";
        }

        if (FlushTimeout <= TimeSpan.Zero)
        {
            yield return $"{P}{nameof(FlushTimeout)} must be > 00:00:00 (was {FlushTimeout})";
        }
    }
}
