using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;

namespace AgentSentinel.Detection.Tests.TestSupport;

/// <summary>A fluent builder of one agent trace: a root span, then model calls, tools and retrievals in start order.</summary>
internal sealed class AgentTraces
{
    private readonly List<AgentSpan> _spans = [];
    private readonly int _n;
    private readonly long _start;
    private long _clockMs;
    private ulong _nextId = 2;

    private AgentTraces(int n, long startMs)
    {
        _n = n;
        _start = startMs;
        _clockMs = startMs;
        _spans.Add(Spans.Other(n, 1, 0, startMs, startMs));
    }

    /// <summary>Trace <paramref name="n"/>, starting 10 s after trace n − 1.</summary>
    public static AgentTraces Start(int n) => new(n, n * 10_000L);

    public AgentTraces Llm(long input, long output, long ms = 400, FinishReasons finish = FinishReasons.Stop, string model = "gpt-4o", bool error = false, ulong parent = 1)
    {
        var span = Spans.Llm(_n, _nextId++, parent, _clockMs, _clockMs + ms, null, input, output) with
        {
            FinishReasons = finish,
            ResponseModel = model,
            IsError = error,
        };
        _spans.Add(span);
        _clockMs += ms;
        return this;
    }

    public AgentTraces Tool(string name, ulong args, ulong result, bool error = false, long ms = 50, ulong parent = 1)
    {
        _spans.Add(Spans.Other(_n, _nextId++, parent, _clockMs, _clockMs + ms, SpanOperation.ExecuteTool) with
        {
            ToolName = name,
            ToolArgumentsHash = args,
            ToolResultHash = result,
            IsError = error,
        });
        _clockMs += ms;
        return this;
    }

    public AgentTraces Retrieval(int? documents, double? topScore, long ms = 30)
    {
        _spans.Add(Spans.Other(_n, _nextId++, 1, _clockMs, _clockMs + ms, SpanOperation.Retrieval) with
        {
            RetrievalDocuments = documents,
            RetrievalTopScore = topScore,
        });
        _clockMs += ms;
        return this;
    }

    /// <summary>Adds a child span under <paramref name="parent"/> and returns its id (for nesting).</summary>
    public AgentTraces Child(ulong parent, out ulong id, SpanOperation operation = SpanOperation.InvokeAgent)
    {
        id = _nextId++;
        _spans.Add(Spans.Other(_n, id, parent, _clockMs, _clockMs + 1, operation));
        return this;
    }

    public AgentTrace Build(bool rootError = false)
    {
        _spans[0] = _spans[0] with { EndUnixNano = Spans.T0 + (Math.Max(_clockMs, _start + 1) * Spans.Ms), IsError = rootError };
        return new AgentTrace("a", Spans.TraceIdOf(_n), [.. _spans], true, _spans[0].EndUnixNano);
    }
}
