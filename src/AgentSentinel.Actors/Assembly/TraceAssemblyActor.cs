using AgentSentinel.Actors.Agents;
using AgentSentinel.Actors.Remediation;
using AgentSentinel.Core.Pipeline;
using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;
using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace AgentSentinel.Actors.Assembly;

/// <summary>
/// The entry point of the pipeline (<c>/user/traces</c>): owns the watermark, routes each record's spans to the
/// assembler shards by trace id, and releases what the shards close to the agents in a deterministic order.
/// </summary>
/// <remarks>
/// <para>
/// Every record (and flush, and idle tick) is a <em>step</em>. The watermark after a step is the largest span end seen,
/// held back to the slowest active source partition's largest span end plus the trace grace
/// (<see cref="PipelineOptions.PartitionIdleTimeout"/>; one partition, as in a replay: the largest span end), monotone; span ends beyond wall clock +
/// <see cref="PipelineOptions.MaxFutureSkew"/> are ignored. Each shard that has spans in the step, or every shard when the watermark moved, gets one message and
/// answers when it has applied it. Once every shard has answered a step and all earlier steps are released, the step is
/// released: its closed agent traces are sorted by (completion time, trace id, agent) and sent to the agent router,
/// then the watermark goes to the agent router (at most once per <see cref="PipelineOptions.AgentWatermarkInterval"/> of
/// event time, and not for idle ticks) and to remediation, and the record's sender gets
/// <see cref="TraceAssemblyProtocol.Accepted"/>.
/// </para>
/// <para>
/// So the agents see traces in an order that depends only on the records and their order, never on thread timing
/// or the number of shards: the same records give the same anomalies.
/// </para>
/// </remarks>
internal sealed class TraceAssemblyActor : ReceiveActor, IWithTimers
{
    private const string IdleTimerKey = "idle-watermark";
    private readonly PipelineOptions _options;
    private readonly IActorRef _agents;
    private readonly IActorRef _remediation;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IActorRef[] _shards;
    private readonly Queue<PendingStep> _pending = new();
    private readonly Dictionary<long, PendingStep> _byStep = [];
    private int[] _shardOf = new int[256];
    private readonly int[] _counts;
    private readonly Dictionary<(string Topic, int Partition), PartitionClock> _partitions = [];
    private long _watermark = long.MinValue;
    private long _watermarkToldRemediation = long.MinValue;
    private long _watermarkToldAgents = long.MinValue;
    private long _futureBound = long.MinValue;
    private long _nextStep;
    private long _nextBarrier;
    private bool _recordSinceTick;

    public TraceAssemblyActor(PipelineOptions options, IActorRef agents, IActorRef remediation, TimeProvider time, ILoggerFactory loggers)
    {
        _options = options;
        _agents = agents;
        _remediation = remediation;
        _time = time;
        _logger = loggers.CreateLogger<TraceAssemblyActor>();
        _shards = new IActorRef[options.AssemblerShards];
        _counts = new int[options.AssemblerShards];
        var settings = TraceAssemblerSettings.ForShard(options);
        var shardLogger = loggers.CreateLogger<TraceAssemblerActor>();
        for (var i = 0; i < _shards.Length; i++)
        {
            _shards[i] = Context.ActorOf(TraceAssemblerActor.Props(i, settings, shardLogger), "shard-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        Receive<TraceAssemblyProtocol.Ingest>(OnIngest);
        Receive<TraceAssemblyProtocol.ShardStepDone>(OnShardStepDone);
        Receive<TraceAssemblyProtocol.Flush>(_ => OnFlush());
        Receive<TraceAssemblyProtocol.Drain>(_ =>
        {
            NewStep(StepKind.Flush, Sender, null);
            TryRelease();
        });
        Receive<IdleTick>(_ => OnIdleTick());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(PipelineOptions options, IActorRef agents, IActorRef remediation, TimeProvider time, ILoggerFactory loggers) =>
        Akka.Actor.Props.Create(() => new TraceAssemblyActor(options, agents, remediation, time, loggers));

    /// <summary>Which shard owns a trace: a mix of both halves of the id, so sequential or half-empty ids still spread.</summary>
    public static int ShardOf(TraceId id, int shards)
    {
        var x = id.High ^ (id.Low * 0x9E3779B97F4A7C15UL);
        x ^= x >> 30;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27;
        x *= 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return (int)(x % (ulong)shards);
    }

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(Decider.From(_ => Directive.Resume));

    protected override void PreStart()
    {
        if (_options.IdleWatermarkAdvance is { } period)
        {
            Timers.StartPeriodicTimer(IdleTimerKey, IdleTick.Instance, period);
        }
    }

    private void OnIngest(TraceAssemblyProtocol.Ingest message)
    {
        _recordSinceTick = true;
        var spans = message.Record.Spans ?? [];
        var recordMax = MaxEnd(spans);
        var candidate = PartitionWatermark(message.Record.Position, recordMax);
        var advanced = candidate > _watermark;
        if (advanced)
        {
            _watermark = candidate;
        }

        var step = NewStep(StepKind.Record, Sender, new TraceAssemblyProtocol.Accepted(message.Record.Position));
        Distribute(step, spans, advanced);
        TryRelease();
    }

    private void OnFlush()
    {
        var step = NewStep(StepKind.Flush, Sender, null);
        for (var i = 0; i < _shards.Length; i++)
        {
            _shards[i].Tell(new TraceAssemblyProtocol.CloseAllTraces(i, step.Step));
            step.Remaining++;
        }

        TryRelease();
    }

    private void OnIdleTick()
    {
        if (_recordSinceTick || _watermark == long.MinValue || _options.IdleWatermarkAdvance is not { } period)
        {
            _recordSinceTick = false;
            return;
        }

        _watermark = SaturatingAdd(_watermark, period.Ticks * 100);
        var step = NewStep(StepKind.Tick, ActorRefs.Nobody, null);
        Distribute(step, [], advanced: true);
        TryRelease();
    }

    private void OnShardStepDone(TraceAssemblyProtocol.ShardStepDone message)
    {
        if (!_byStep.TryGetValue(message.Step, out var step))
        {
            return;
        }

        step.Closed.AddRange(message.Closed);
        step.Remaining--;
        TryRelease();
    }

    private PendingStep NewStep(StepKind kind, IActorRef replyTo, object? reply)
    {
        var step = new PendingStep(_nextStep++, kind, replyTo, reply, _watermark);
        _pending.Enqueue(step);
        _byStep.Add(step.Step, step);
        return step;
    }

    private void Distribute(PendingStep step, AgentSpan[] spans, bool advanced)
    {
        var shards = _shards.Length;
        if (shards == 1)
        {
            if (spans.Length > 0 || advanced)
            {
                _shards[0].Tell(new TraceAssemblyProtocol.AssembleSpans(0, step.Step, spans, _watermark));
                step.Remaining++;
            }

            return;
        }

        if (_shardOf.Length < spans.Length)
        {
            _shardOf = new int[Math.Max(spans.Length, _shardOf.Length * 2)];
        }

        Array.Clear(_counts);
        for (var i = 0; i < spans.Length; i++)
        {
            var s = ShardOf(spans[i].TraceId, shards);
            _shardOf[i] = s;
            _counts[s]++;
        }

        for (var s = 0; s < shards; s++)
        {
            if (_counts[s] == 0 && !advanced)
            {
                continue;
            }

            AgentSpan[] part;
            if (_counts[s] == spans.Length)
            {
                part = spans;
            }
            else if (_counts[s] == 0)
            {
                part = [];
            }
            else
            {
                part = new AgentSpan[_counts[s]];
                var k = 0;
                for (var i = 0; i < spans.Length; i++)
                {
                    if (_shardOf[i] == s)
                    {
                        part[k++] = spans[i];
                    }
                }
            }

            _shards[s].Tell(new TraceAssemblyProtocol.AssembleSpans(s, step.Step, part, _watermark));
            step.Remaining++;
        }
    }

    private void TryRelease()
    {
        while (_pending.TryPeek(out var head) && head.Remaining == 0)
        {
            _pending.Dequeue();
            _byStep.Remove(head.Step);
            Release(head);
        }
    }

    private void Release(PendingStep step)
    {
        if (step.Closed.Count > 1)
        {
            step.Closed.Sort(ReleaseOrder.Instance);
        }

        foreach (var trace in step.Closed)
        {
            _agents.Tell(new AgentProtocol.ObserveTrace(trace));
        }

        if (step.Kind != StepKind.Tick && _options.AgentWatermarkInterval is { } interval && step.Watermark != long.MinValue
            && (_watermarkToldAgents == long.MinValue || step.Watermark - _watermarkToldAgents >= interval.Ticks * 100))
        {
            // After the step's traces, so that every agent sees its own traces before the time that follows them.
            _watermarkToldAgents = step.Watermark;
            _agents.Tell(new AgentProtocol.AdvanceWatermark(step.Watermark));
        }

        if (step.Watermark > _watermarkToldRemediation)
        {
            _watermarkToldRemediation = step.Watermark;
            _remediation.Tell(new RemediationProtocol.WatermarkAdvanced(step.Watermark));
        }

        switch (step.Kind)
        {
            case StepKind.Record:
                step.ReplyTo.Tell(step.Reply!, Self);
                break;
            case StepKind.Flush:
                var barrier = ++_nextBarrier;
                Log.BarrierReleased(_logger, barrier, step.Closed.Count);
                _agents.Tell(new AgentProtocol.Barrier(barrier, step.ReplyTo, step.Watermark));
                break;
            case StepKind.Tick:
            default:
                break;
        }
    }

    /// <summary>
    /// Records <paramref name="recordMax"/> for the record's partition and returns the event time every active partition
    /// has reached, plus <see cref="PipelineOptions.TraceGrace"/> (see <see cref="PipelineOptions.PartitionIdleTimeout"/>).
    /// </summary>
    private long PartitionWatermark(RecordPosition position, long recordMax)
    {
        if (_options.PartitionIdleTimeout is not { } idle)
        {
            return recordMax;
        }

        var now = _time.GetUtcNow().UtcTicks;
        if (!_partitions.TryGetValue((position.Topic, position.Partition), out var clock))
        {
            _partitions[(position.Topic, position.Partition)] = clock = new PartitionClock();
        }

        clock.LastRecord = now;
        clock.MaxEnd = Math.Max(clock.MaxEnd, recordMax);
        if (_partitions.Count == 1)
        {
            return clock.MaxEnd;
        }

        long slowest = long.MaxValue, fastest = long.MinValue;
        foreach (var other in _partitions.Values)
        {
            if (other.MaxEnd == long.MinValue)
            {
                continue; // no timestamp yet: nothing to hold back
            }

            fastest = Math.Max(fastest, other.MaxEnd);
            if (now - other.LastRecord <= idle.Ticks)
            {
                slowest = Math.Min(slowest, other.MaxEnd);
            }
        }

        // Partitions within TraceGrace of each other close nothing early (the grace already absorbs that much skew), so
        // only a partition further behind holds event time back: no added delay in steady operation.
        return slowest == long.MaxValue ? fastest : Math.Min(fastest, SaturatingAdd(slowest, _options.TraceGrace.Ticks * 100));
    }

    private long MaxEnd(AgentSpan[] spans)
    {
        var max = long.MinValue;
        foreach (ref readonly var span in spans.AsSpan())
        {
            var end = span.EndUnixNano;
            if (end <= max)
            {
                continue;
            }

            if (end > _futureBound)
            {
                _futureBound = SaturatingAdd((_time.GetUtcNow().UtcTicks - DateTime.UnixEpoch.Ticks) * 100, _options.MaxFutureSkew.Ticks * 100);
                if (end > _futureBound)
                {
                    continue;
                }
            }

            max = end;
        }

        return max;
    }

    private static long SaturatingAdd(long a, long b)
    {
        var sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? (a < 0 ? long.MinValue : long.MaxValue) : sum;
    }

    private sealed class PartitionClock
    {
        public long MaxEnd { get; set; } = long.MinValue;
        public long LastRecord { get; set; }
    }

    private enum StepKind
    {
        Record,
        Flush,
        Tick,
    }

    private sealed class PendingStep(long step, StepKind kind, IActorRef replyTo, object? reply, long watermark)
    {
        public long Step { get; } = step;
        public StepKind Kind { get; } = kind;
        public IActorRef ReplyTo { get; } = replyTo;
        public object? Reply { get; } = reply;
        public long Watermark { get; } = watermark;
        public int Remaining { get; set; }
        public List<AgentTrace> Closed { get; } = [];
    }

    /// <summary>Completion time, then trace id, then agent (ordinal): a total order independent of the shard count.</summary>
    private sealed class ReleaseOrder : IComparer<AgentTrace>
    {
        public static readonly ReleaseOrder Instance = new();

        public int Compare(AgentTrace? x, AgentTrace? y)
        {
            if (ReferenceEquals(x, y))
            {
                return 0;
            }

            if (x is null || y is null)
            {
                return x is null ? -1 : 1;
            }

            var c = x.CompletedAtUnixNano.CompareTo(y.CompletedAtUnixNano);
            if (c == 0)
            {
                c = x.TraceId.High.CompareTo(y.TraceId.High);
            }

            if (c == 0)
            {
                c = x.TraceId.Low.CompareTo(y.TraceId.Low);
            }

            return c != 0 ? c : string.CompareOrdinal(x.Agent, y.Agent);
        }
    }

    private sealed class IdleTick
    {
        public static readonly IdleTick Instance = new();
    }
}
