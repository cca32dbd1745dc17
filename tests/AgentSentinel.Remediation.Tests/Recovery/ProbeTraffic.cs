using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Features;

namespace AgentSentinel.Remediation.Tests.Recovery;

/// <summary>How an agent's primary path misbehaves (all neutral by default: a healthy agent).</summary>
internal sealed record Fault
{
    public double TokenFactor { get; init; } = 1;
    public double LatencyFactor { get; init; } = 1;
    public double PriceFactor { get; init; } = 1;
    public double LengthShare { get; init; } = 0.02;
    public double FilterShare { get; init; }
    public double ToolErrorShare { get; init; } = 0.02;
    public double FailShare { get; init; } = 0.01;
    public double AnsweredAroundShare { get; init; } = 0.005;
    public double LoopShare { get; init; }
    public double RunawayShare { get; init; }
    public double RetrievalScoreShift { get; init; }
    public double EmptyRetrievalShare { get; init; } = 0.005;
    public string Model { get; init; } = "gpt-4o";

    public static readonly Fault None = new();
}

/// <summary>
/// Seeded traces of a ReAct-style agent (a retrieval, 1–3 model calls with a search tool between them) as its spans
/// would arrive: log-normal tokens and latency, a reported cost, occasional benign truncation and tool errors.
/// </summary>
internal sealed class ProbeTraffic(int seed, bool withCost = true)
{
    public const long Ms = 1_000_000;
    public const long T0 = 1_700_000_000_000_000_000;
    private const double PricePerToken = 2.5e-6;
    private readonly Random _random = new(seed);
    private int _n;

    public double Normal() => Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());

    private long LogNormal(double median, double sigma) => Math.Max(1, (long)Math.Round(median * Math.Exp(sigma * Normal())));

    private bool Chance(double p) => _random.NextDouble() < p;

    public TraceFeatures Features(Fault? fault = null) => TraceFeatures.Compute(Trace(fault));

    public AgentTrace Trace(Fault? fault = null)
    {
        fault ??= Fault.None;
        var n = ++_n;
        var b = new TraceBuilder(n);
        var retrievalEmpty = Chance(fault.EmptyRetrievalShare);
        b.Retrieval(retrievalEmpty ? 0 : 5, retrievalEmpty ? null : Math.Clamp(0.8 + (0.05 * Normal()) - fault.RetrievalScoreShift, 0, 1));
        var runaway = Chance(fault.RunawayShare);
        var calls = runaway ? 12 + _random.Next(6) : 1 + _random.Next(3);
        var fails = Chance(fault.FailShare);
        var answeredAround = !runaway && Chance(fault.AnsweredAroundShare);
        for (var c = 0; c < calls; c++)
        {
            var last = c == calls - 1;
            var input = (long)(LogNormal(1200, 0.3) * fault.TokenFactor);
            var output = (long)(LogNormal(200, 0.4) * fault.TokenFactor);
            var finish = Chance(fault.LengthShare) ? FinishReasons.Length
                : Chance(fault.FilterShare) ? FinishReasons.ContentFilter
                : last ? FinishReasons.Stop : FinishReasons.ToolCalls;
            var cost = withCost ? (input + output) * PricePerToken * fault.PriceFactor : (double?)null;
            b.Llm(input, output, (long)(LogNormal(600, 0.3) * fault.LatencyFactor), finish, fault.Model, cost, error: last && fails, nested: runaway);
            if (last)
            {
                break;
            }

            if (answeredAround && c == calls - 2)
            {
                b.Tool("lookup", 7, 0, error: true);
                continue;
            }

            var failed = Chance(fault.ToolErrorShare);
            b.Tool("search", (ulong)_random.Next(1, 100_000), (ulong)_random.Next(1, 100_000), error: failed);
            if (failed)
            {
                b.Tool("search", (ulong)_random.Next(1, 100_000), (ulong)_random.Next(1, 100_000));
            }
        }

        if (answeredAround && calls == 1)
        {
            // One call only: the failed tool comes before the answer.
            b.ToolBefore("lookup", 7, 0, error: true);
        }

        if (Chance(fault.LoopShare))
        {
            for (var i = 0; i < 6; i++)
            {
                b.Tool("fetch_status", 42, 43);
            }
        }

        return b.Build(rootError: false);
    }
}

/// <summary>Builds one agent trace span by span, in start order.</summary>
internal sealed class TraceBuilder
{
    private readonly List<AgentSpan> _spans = [];
    private readonly int _n;
    private readonly long _startMs;
    private long _clockMs;
    private ulong _nextId = 2;
    private ulong _nestParent = 1;

    public TraceBuilder(int n, string agent = "agent-a")
    {
        _n = n;
        Agent = agent;
        _startMs = n * 10_000L;
        _clockMs = _startMs;
        _spans.Add(Span(1, 0, _startMs, _startMs, SpanOperation.InvokeAgent));
    }

    public string Agent { get; }

    public static TraceId TraceIdOf(int n) => new(0xbee0_0000_0000_0000UL | (uint)n, 0x0fed_cba9_8765_4321UL ^ (ulong)n);

    private AgentSpan Span(ulong id, ulong parent, long startMs, long endMs, SpanOperation operation) => new()
    {
        TraceId = TraceIdOf(_n),
        SpanId = new SpanId(id),
        ParentSpanId = new SpanId(parent),
        StartUnixNano = ProbeTraffic.T0 + (startMs * ProbeTraffic.Ms),
        EndUnixNano = ProbeTraffic.T0 + (endMs * ProbeTraffic.Ms),
        Operation = operation,
    };

    public TraceBuilder Llm(long input, long output, long ms = 400, FinishReasons finish = FinishReasons.Stop, string? model = "gpt-4o",
        double? cost = null, bool error = false, bool nested = false, string? requestModel = null, SpanRouteHint hint = SpanRouteHint.None)
    {
        var id = _nextId++;
        var parent = 1UL;
        if (nested)
        {
            // Runaway: each call under a sub-agent under the previous one.
            var sub = _nextId++;
            _spans.Add(Span(sub, _nestParent, _clockMs, _clockMs + ms, SpanOperation.InvokeAgent));
            _nestParent = sub;
            parent = sub;
        }

        _spans.Add(Span(id, parent, _clockMs, _clockMs + ms, SpanOperation.Chat) with
        {
            InputTokens = input,
            OutputTokens = output,
            TotalTokens = input + output,
            FinishReasons = finish,
            ResponseModel = model,
            RequestModel = requestModel,
            CostUsd = cost,
            IsError = error,
            RouteHint = hint,
        });
        _clockMs += ms;
        return this;
    }

    public TraceBuilder Tool(string name, ulong args, ulong result, bool error = false, long ms = 50)
    {
        _spans.Add(Span(_nextId++, 1, _clockMs, _clockMs + ms, SpanOperation.ExecuteTool) with
        {
            ToolName = name,
            ToolArgumentsHash = args,
            ToolResultHash = result,
            IsError = error,
        });
        _clockMs += ms;
        return this;
    }

    /// <summary>A tool span that ran before everything else in the trace (start shifted before the first call).</summary>
    public TraceBuilder ToolBefore(string name, ulong args, ulong result, bool error = false)
    {
        _spans.Add(Span(_nextId++, 1, _startMs - 60, _startMs - 10, SpanOperation.ExecuteTool) with
        {
            ToolName = name,
            ToolArgumentsHash = args,
            ToolResultHash = result,
            IsError = error,
        });
        return this;
    }

    public TraceBuilder Retrieval(int? documents, double? topScore, long ms = 30)
    {
        _spans.Add(Span(_nextId++, 1, _clockMs, _clockMs + ms, SpanOperation.Retrieval) with
        {
            RetrievalDocuments = documents,
            RetrievalTopScore = topScore,
        });
        _clockMs += ms;
        return this;
    }

    public TraceBuilder Other(SpanOperation operation, SpanRouteHint hint = SpanRouteHint.None)
    {
        _spans.Add(Span(_nextId++, 1, _clockMs, _clockMs + 5, operation) with { RouteHint = hint });
        _clockMs += 5;
        return this;
    }

    public AgentTrace Build(bool rootError = false)
    {
        var first = Math.Min(_startMs, _spans.Min(s => (s.StartUnixNano - ProbeTraffic.T0) / ProbeTraffic.Ms));
        _spans[0] = _spans[0] with
        {
            StartUnixNano = ProbeTraffic.T0 + (first * ProbeTraffic.Ms),
            EndUnixNano = ProbeTraffic.T0 + (Math.Max(_clockMs, _startMs + 1) * ProbeTraffic.Ms),
            IsError = rootError,
        };
        return new AgentTrace(Agent, TraceIdOf(_n), [.. _spans], true, _spans[0].EndUnixNano);
    }
}
