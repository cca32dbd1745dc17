using System.Globalization;
using AgentSentinel.Core.Remediation;
using AgentSentinel.Client;
using AgentSentinel.Core.Spans;

namespace AgentSentinel.Cli.Demo;

/// <summary>What one simulated span does; the encoder turns it into the agent's convention.</summary>
internal enum SimulatedSpanKind
{
    Agent,
    LlmCall,
    Tool,
    Retrieval,
}

/// <summary>One span of a simulated request, before encoding.</summary>
internal sealed record SimulatedSpan(
    SimulatedSpanKind Kind,
    SpanId SpanId,
    SpanId ParentSpanId,
    long StartUnixNano,
    long EndUnixNano,
    string? Model = null,
    long InputTokens = 0,
    long OutputTokens = 0,
    string? FinishReason = null,
    string? Tool = null,
    string? Route = null,
    string? ToolArguments = null);

/// <summary>One simulated request: a trace of spans, all under one root.</summary>
internal sealed record SimulatedTrace(TraceId TraceId, IReadOnlyList<SimulatedSpan> Spans, bool Faulty);

/// <summary>
/// One agent of the demo fleet: generates requests shaped by its archetype, each on the path its flag client chooses
/// (<see cref="Decide"/>: primary, fallback, or during a probe primary for probe_ratio of the requests), and tags the root
/// span with <c>agentsentinel.route</c> as the client library tells agents to. The injected fault lives on the primary
/// path only, for a limited time: on the fallback the agent behaves normally, which is what remediation is for.
/// </summary>
internal sealed class SimulatedAgent
{
    private const double TokenSigma = 0.25;
    private const double LatencySigma = 0.25;
    private readonly Random _rng;
    private double _nextDueSeconds;

    public SimulatedAgent(string name, AgentArchetype archetype, SpanConvention convention, int seed)
    {
        Name = name;
        Archetype = archetype;
        Convention = convention;
        _rng = new Random(seed);
        _nextDueSeconds = _rng.NextDouble() / archetype.TracesPerSecond;
    }

    public string Name { get; }
    public AgentArchetype Archetype { get; }
    public SpanConvention Convention { get; }
    public FaultKind Fault { get; private set; }
    /// <summary>Seconds since the demo started at which the fault begins (meaningful when <see cref="Fault"/> is set).</summary>
    public double FaultStartSeconds { get; private set; } = double.PositiveInfinity;

    /// <summary>Seconds since the demo started at which the fault is fixed (the primary path is healthy again).</summary>
    public double FaultEndSeconds { get; private set; } = double.PositiveInfinity;

    /// <summary>The route the agent's flag selects (as last polled), for display.</summary>
    public FlagRoute Route { get; set; } = FlagRoute.Primary;

    /// <summary>Chooses each request's path from a uniform sample in [0, 1): the flag client's decision.</summary>
    public Func<double, RouteDecision> Decide { get; set; } = _ => RouteDecision.Primary;

    public string FallbackModel { get; set; } = "safe-model";
    public long Requests { get; private set; }
    public long FallbackRequests { get; private set; }

    public void InjectFault(FaultKind fault, double atSeconds, double untilSeconds = double.PositiveInfinity)
    {
        Fault = fault;
        FaultStartSeconds = atSeconds;
        FaultEndSeconds = untilSeconds;
    }

    public bool FaultActive(double elapsedSeconds) =>
        Fault != FaultKind.None && elapsedSeconds >= FaultStartSeconds && elapsedSeconds < FaultEndSeconds;

    /// <summary>Returns the requests due by <paramref name="elapsedSeconds"/>, each ending at <paramref name="nowUnixNano"/>.</summary>
    public IEnumerable<SimulatedTrace> Due(double elapsedSeconds, long nowUnixNano)
    {
        while (_nextDueSeconds <= elapsedSeconds)
        {
            // Exponential inter-arrival times: a Poisson stream of requests.
            _nextDueSeconds += -Math.Log(1 - _rng.NextDouble()) / Archetype.TracesPerSecond;
            yield return NextTrace(elapsedSeconds, nowUnixNano);
        }
    }

    private SimulatedTrace NextTrace(double elapsedSeconds, long endUnixNano)
    {
        Requests++;
        var decision = Decide(_rng.NextDouble());
        var onFallback = !decision.IsPrimary;
        FallbackRequests += onFallback ? 1 : 0;
        var faulty = !onFallback && FaultActive(elapsedSeconds);
        var tokenFactor = faulty && Fault == FaultKind.TokenBlowUp ? 9.0 + (3 * _rng.NextDouble()) : 1.0; // "burns ten times its usual tokens"
        var latencyFactor = faulty && Fault == FaultKind.LatencyRegression ? 4.0 + _rng.NextDouble() : 1.0;
        var model = onFallback ? decision.Fallback ?? FallbackModel : Archetype.Model;

        // Lay the steps out forward from zero, then shift the trace so that it ends now.
        var steps = new List<SimulatedSpan>();
        var root = NewSpanId();
        long t = Millis(5 + (_rng.NextDouble() * 10));
        if (Archetype.Retrieval)
        {
            var d = Millis(LogNormal(120, 0.3));
            steps.Add(new SimulatedSpan(SimulatedSpanKind.Retrieval, NewSpanId(), root, t, t + d));
            t += d;
        }

        var calls = _rng.Next(Archetype.MinLlmCalls, Archetype.MaxLlmCalls + 1);
        for (var i = 0; i < calls; i++)
        {
            var d = Millis(LogNormal(Archetype.CallLatencyMs, LatencySigma) * latencyFactor);
            var input = (long)Math.Round(LogNormal(Archetype.InputTokens * (1 + (0.15 * i)), TokenSigma) * tokenFactor);
            var output = (long)Math.Round(LogNormal(Archetype.OutputTokens, TokenSigma) * tokenFactor);
            var last = i == calls - 1;
            var tool = !last && Archetype.Tools.Length > 0 ? Archetype.Tools[_rng.Next(Archetype.Tools.Length)] : null;
            steps.Add(new SimulatedSpan(SimulatedSpanKind.LlmCall, NewSpanId(), root, t, t + d, model, input, output, tool is null ? "stop" : "tool_calls"));
            t += d;
            if (tool is not null)
            {
                var td = Millis(LogNormal(250, 0.4));
                // Synthetic arguments (never real content): a healthy agent rarely repeats the exact same call.
                var arguments = string.Create(CultureInfo.InvariantCulture, $"{{\"query\":\"q{_rng.Next(100_000)}\"}}");
                steps.Add(new SimulatedSpan(SimulatedSpanKind.Tool, NewSpanId(), root, t, t + td, Tool: tool, ToolArguments: arguments));
                t += td;
            }
        }

        t += Millis(3);
        var shift = endUnixNano - t;
        var spans = new List<SimulatedSpan>(steps.Count + 1);
        foreach (var step in steps)
        {
            spans.Add(step with { StartUnixNano = step.StartUnixNano + shift, EndUnixNano = step.EndUnixNano + shift });
        }

        // OTel exports a span when it ends, so the root (which ends last) comes last.
        spans.Add(new SimulatedSpan(SimulatedSpanKind.Agent, root, default, shift, endUnixNano, model, Route: decision.AttributeValue));
        return new SimulatedTrace(new TraceId(NextNonZero(), NextNonZero()), spans, faulty);
    }

    private static long Millis(double ms) => (long)(ms * 1_000_000);

    private double LogNormal(double median, double sigma)
    {
        // Box-Muller.
        var u1 = 1.0 - _rng.NextDouble();
        var u2 = _rng.NextDouble();
        var z = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
        return median * Math.Exp(sigma * z);
    }

    private SpanId NewSpanId() => new(NextNonZero());

    private ulong NextNonZero()
    {
        ulong v;
        do
        {
            v = (ulong)_rng.NextInt64() ^ ((ulong)_rng.Next() << 40);
        }
        while (v == 0);
        return v;
    }
}
