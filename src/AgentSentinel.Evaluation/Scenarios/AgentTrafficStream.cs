using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;

namespace AgentSentinel.Evaluation.Scenarios;

/// <summary>
/// One agent's traffic: a non-homogeneous Poisson stream of completed traces (diurnal rate, lulls), each a span tree
/// shaped by the agent's archetype and profile, with the agent's labelled faults applied while they are active.
/// Traces come out in completion order. Arrival times and trace contents use separate random streams.
/// </summary>
internal sealed class AgentTrafficStream
{
    private static readonly string[] ToolErrorTypes = ["TimeoutError", "HTTPError", "ToolExecutionError"];
    private static readonly string[] ProviderErrorTypes = ["RateLimitError", "APITimeoutError", "InternalServerError"];

    private readonly AgentProfile _profile;
    private readonly FaultLabel[] _faults;
    private readonly long _startUnixNano;
    private readonly double _endSeconds;
    private readonly ScenarioRandom _arrivals;
    private readonly ScenarioRandom _rng;
    private readonly double _maxRate;
    private readonly List<AgentSpan> _spans = new(64);
    private double _clock;
    private int _faultCursor;

    // Per-trace state.
    private TraceId _traceId;
    private FaultLabel? _fault;
    private double _progress;
    private int _llmCalls;
    private bool _answerAroundPending;
    private bool _answeredAround;
    private bool _swapped;

    public AgentTrafficStream(AgentProfile profile, IEnumerable<FaultLabel> faults, long startUnixNano, double endSeconds, ulong seed)
    {
        _profile = profile;
        _faults = [.. faults.Where(f => f.Agent == profile.Name).OrderBy(f => f.StartUnixNano)];
        _startUnixNano = startUnixNano;
        _endSeconds = endSeconds;
        _arrivals = new ScenarioRandom(seed, (ulong)profile.Index, 1);
        _rng = new ScenarioRandom(seed, (ulong)profile.Index, 2);
        _maxRate = profile.PeakRatePerHour / 3600.0;
    }

    public AgentProfile Profile => _profile;

    /// <summary>Traces that would have completed during a silence and were dropped.</summary>
    public long Silenced { get; private set; }

    /// <summary>Produces the next completed trace, or false when the scenario's end is reached.</summary>
    public bool TryNext(out AgentTrace trace)
    {
        while (true)
        {
            // Thinning: candidates at the peak rate, each kept with probability rate(t) / peak.
            _clock += _arrivals.Exponential(1 / _maxRate);
            if (_clock >= _endSeconds)
            {
                trace = null!;
                return false;
            }

            if (_arrivals.NextDouble() * _maxRate > _profile.RatePerSecond(_clock))
            {
                continue;
            }

            var completedAt = _startUnixNano + (long)Math.Round(_clock * 1e9);
            _fault = ActiveFault(completedAt);
            if (_fault?.Kind == FaultKind.Silence)
            {
                Silenced++;
                continue;
            }

            _progress = _fault is null ? 0 : (double)(completedAt - _fault.StartUnixNano) / Math.Max(1, _fault.EndUnixNano - _fault.StartUnixNano);
            trace = Build(completedAt);
            return true;
        }
    }

    private FaultLabel? ActiveFault(long unixNano)
    {
        while (_faultCursor < _faults.Length && _faults[_faultCursor].EndUnixNano < unixNano)
        {
            _faultCursor++;
        }

        return _faultCursor < _faults.Length && _faults[_faultCursor].Covers(unixNano) ? _faults[_faultCursor] : null;
    }

    private bool Is(FaultKind kind) => _fault?.Kind == kind;

    /// <summary>The active fault's strength, 0..1: 1 for a step onset, growing over the window's first quarter for a ramp.</summary>
    private double Strength() => _fault?.Onset == "ramp" ? Math.Min(1, 0.05 + (_progress / 0.25)) : 1;

    private AgentTrace Build(long completedAtUnixNano)
    {
        _spans.Clear();
        _llmCalls = 0;
        _traceId = new TraceId(_rng.NextNonZero(), _rng.NextNonZero());
        _answerAroundPending = Is(FaultKind.ErrorAnsweredAround) && _rng.Chance(_fault!.Share);
        _answeredAround = false;
        _swapped = Is(FaultKind.ModelSwap) && _rng.Chance(_fault!.Share);
        var root = NewSpanId();
        double t = _rng.Uniform(1, 8);
        var outcome = _profile.Archetype switch
        {
            AgentArchetype.ChatAssistant => ChatFlow(root, ref t),
            AgentArchetype.Rag => RagFlow(root, ref t),
            AgentArchetype.ReactAgent => ReactFlow(root, ref t),
            _ => PlannerFlow(root, ref t),
        };

        if (outcome.Ok && Is(FaultKind.CostSpike) && _fault!.Variant == "more_calls")
        {
            // A self-refinement loop: many more model calls at the usual per-call tokens.
            var extra = (int)Math.Round((_fault.Magnitude - 1) * Strength() * Math.Max(1, _llmCalls));
            for (var i = 0; i < extra; i++)
            {
                Chat(root, ref t, SampleInput(1), SampleOutput(), FinishReasons.Stop);
            }
        }

        t += _rng.Uniform(1, 5);
        var shift = completedAtUnixNano - Nanos(t);
        var spans = new AgentSpan[_spans.Count + 1];
        for (var i = 0; i < _spans.Count; i++)
        {
            var s = _spans[i];
            s.StartUnixNano += shift;
            s.EndUnixNano += shift;
            spans[i] = s;
        }

        // OTel exports a span when it ends: the root, which ends last, comes last.
        spans[^1] = NewSpan(root, default, SpanOperation.InvokeAgent, shift, completedAtUnixNano) with
        {
            IsError = outcome.ErrorType is not null,
            ErrorType = outcome.ErrorType,
        };
        return new AgentTrace(_profile.Name, _traceId, spans, true, completedAtUnixNano);
    }

    private readonly record struct Outcome(bool Ok, string? ErrorType)
    {
        public static readonly Outcome Success = new(true, null);
    }

    private Outcome ChatFlow(SpanId root, ref double t)
    {
        if (_rng.Chance(0.1))
        {
            // An intent classification before the answer.
            Chat(root, ref t, SampleInput(0.3), (long)_rng.LogNormal(15, 0.4) + 1, FinishReasons.Stop);
        }

        return FinalAnswer(root, ref t, SampleInput(1));
    }

    private Outcome RagFlow(SpanId root, ref double t)
    {
        if (_rng.Chance(0.15))
        {
            // Query rewriting.
            Chat(root, ref t, SampleInput(0.4), (long)_rng.LogNormal(40, 0.4) + 1, FinishReasons.Stop);
        }

        var documents = Retrieval(root, ref t);
        if (_rng.Chance(0.1))
        {
            documents += Retrieval(root, ref t);
        }

        var context = 0.0;
        for (var i = 0; i < documents; i++)
        {
            context += _rng.LogNormal(220, 0.3);
        }

        return FinalAnswer(root, ref t, SampleInput(1) + (long)context);
    }

    private Outcome ReactFlow(SpanId root, ref double t)
    {
        var steps = _rng.Between(_profile.MinSteps, _profile.MaxSteps);
        var loopStep = Is(FaultKind.ToolLoop) && _rng.Chance(_fault!.Share) ? _rng.Between(0, steps - 1) : -1;
        var context = (double)SampleInput(1);
        var outcome = ToolSteps(root, ref t, steps, loopStep, ref context);
        return outcome.Ok ? FinalAnswer(root, ref t, (long)context) : outcome;
    }

    private Outcome PlannerFlow(SpanId root, ref double t)
    {
        var context = (double)SampleInput(1);
        Chat(root, ref t, (long)context, (long)_rng.LogNormal(180, 0.4) + 1, FinishReasons.ToolCalls);
        var subAgents = _rng.Between(2, 4);
        var loopAgent = Is(FaultKind.ToolLoop) && _rng.Chance(_fault!.Share) ? _rng.Between(0, subAgents - 1) : -1;
        for (var i = 0; i < subAgents; i++)
        {
            var outcome = SubAgent(root, ref t, depth: 2, retrieval: i == 0 && _profile.RetrievalInPlanner, loop: i == loopAgent);
            if (!outcome.Ok)
            {
                return outcome;
            }

            context += _rng.LogNormal(250, 0.4);
        }

        return FinalAnswer(root, ref t, (long)context);
    }

    /// <summary>An invoke_agent span (depth 2–4) with its own calls; sometimes it delegates one level deeper.</summary>
    private Outcome SubAgent(SpanId parent, ref double t, int depth, bool retrieval, bool loop)
    {
        var id = NewSpanId();
        var start = t;
        t += _rng.Uniform(1, 4);
        var context = (double)SampleInput(0.6);
        if (retrieval)
        {
            var documents = Retrieval(id, ref t);
            context += documents * _rng.LogNormal(200, 0.3);
        }

        var steps = _rng.Between(1, 2);
        var outcome = ToolSteps(id, ref t, steps, loop ? _rng.Between(0, steps - 1) : -1, ref context);
        if (outcome.Ok && !_answeredAround && depth < 4 && _rng.Chance(0.3))
        {
            outcome = SubAgent(id, ref t, depth + 1, retrieval: false, loop: false);
        }

        if (outcome.Ok)
        {
            Chat(id, ref t, (long)context, SampleOutput(0.6), FinishReasons.Stop);
        }

        t += _rng.Uniform(1, 3);
        _spans.Add(NewSpan(id, parent, SpanOperation.InvokeAgent, Nanos(start), Nanos(t)) with
        {
            IsError = outcome.ErrorType is not null,
            ErrorType = outcome.ErrorType,
        });
        return outcome;
    }

    /// <summary>Steps of model call (tool_calls) then tool; legitimate repeats, retries, loops and answered-around errors.</summary>
    private Outcome ToolSteps(SpanId parent, ref double t, int steps, int loopStep, ref double context)
    {
        for (var step = 0; step < steps; step++)
        {
            var tool = _rng.Pick(_profile.Tools);
            var args = _rng.NextNonZero();
            Chat(parent, ref t, (long)context, ToolCallOutput(), FinishReasons.ToolCalls);
            var force = _answerAroundPending && (step == steps - 1 || _rng.Chance(0.5));
            var result = Tool(parent, ref t, tool, args, forceError: force);
            if (result == ToolResult.AnsweredAround)
            {
                _answerAroundPending = false;
                _answeredAround = true;
                return Outcome.Success;
            }

            if (result == ToolResult.Exhausted)
            {
                return new Outcome(false, "ToolExecutionError");
            }

            context += _rng.LogNormal(250, 0.5);

            if (step == loopStep)
            {
                // The fault: the same call, the same arguments, the same result, again and again.
                var repeats = (int)Math.Clamp(Math.Round(_fault!.Magnitude * _rng.LogUniform(0.75, 1.33)), 4, 30);
                var sameResult = _rng.NextNonZero();
                for (var r = 0; r < repeats; r++)
                {
                    Chat(parent, ref t, (long)context, ToolCallOutput(), FinishReasons.ToolCalls);
                    AddTool(parent, ref t, tool, args, sameResult, error: null);
                    context += _rng.LogNormal(60, 0.3);
                }

                if (_rng.Chance(0.25))
                {
                    return new Outcome(false, "MaxIterationsExceeded");
                }
            }
            else if (_rng.Chance(_profile.RepeatedToolRate))
            {
                // Legitimate repeats: pagination (same tool, new arguments), polling (same arguments, new result),
                // rarely a plain duplicate call.
                var kind = _rng.NextDouble();
                var pages = _rng.Between(2, 4);
                for (var p = 0; p < (kind < 0.85 ? pages : 1); p++)
                {
                    Chat(parent, ref t, (long)context, ToolCallOutput(), FinishReasons.ToolCalls);
                    var (a, r) = kind switch
                    {
                        < 0.55 => (_rng.NextNonZero(), _rng.NextNonZero()),
                        < 0.85 => (args, _rng.NextNonZero()),
                        _ => (args, 0UL),
                    };
                    AddTool(parent, ref t, tool, a, r == 0 ? LastResultHash() : r, error: null);
                    context += _rng.LogNormal(150, 0.5);
                }
            }
        }

        return Outcome.Success;
    }

    private enum ToolResult
    {
        Ok,
        AnsweredAround,
        Exhausted,
    }

    /// <summary>One tool call with its retries: up to three attempts of the same arguments.</summary>
    private ToolResult Tool(SpanId parent, ref double t, string tool, ulong args, bool forceError)
    {
        var errorRate = Is(FaultKind.ToolErrorStorm) ? Math.Max(_profile.ToolErrorRate, _fault!.Magnitude * Strength()) : _profile.ToolErrorRate;
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var fails = (attempt == 1 && forceError) || _rng.Chance(errorRate);
            if (!fails)
            {
                AddTool(parent, ref t, tool, args, _rng.NextNonZero(), error: null);
                return ToolResult.Ok;
            }

            AddTool(parent, ref t, tool, args, 0, error: _rng.Pick(ToolErrorTypes));
            if (attempt == 1 && forceError)
            {
                // The fault: no retry; the next model call answers anyway.
                return ToolResult.AnsweredAround;
            }

            if (attempt < 3 && _rng.Chance(0.5))
            {
                // A model-driven retry: the model sees the error and calls the tool again.
                Chat(parent, ref t, SampleInput(1), ToolCallOutput(), FinishReasons.ToolCalls);
            }
        }

        return ToolResult.Exhausted;
    }

    private ulong LastResultHash()
    {
        for (var i = _spans.Count - 1; i >= 0; i--)
        {
            if (_spans[i].Operation == SpanOperation.ExecuteTool && _spans[i].ToolResultHash != 0)
            {
                return _spans[i].ToolResultHash;
            }
        }

        return _rng.NextNonZero();
    }

    private void AddTool(SpanId parent, ref double t, string tool, ulong args, ulong result, string? error)
    {
        var factor = Is(FaultKind.LatencyRegression) && _fault!.Variant == "calls_and_tools" ? 1 + ((_fault.Magnitude - 1) * Strength()) : 1;
        var start = t;
        t += _rng.LogNormal(_profile.ToolLatencyMs * ToolSpeed(tool), 0.5) * factor;
        _spans.Add(NewSpan(NewSpanId(), parent, SpanOperation.ExecuteTool, Nanos(start), Nanos(t)) with
        {
            ToolName = tool,
            ToolArgumentsHash = args,
            ToolResultHash = result,
            IsError = error is not null,
            ErrorType = error,
        });
        t += _rng.Uniform(0.5, 3);
    }

    /// <summary>A retrieval span; returns the documents retrieved.</summary>
    private int Retrieval(SpanId parent, ref double t)
    {
        var emptyRate = _profile.EmptyRetrievalRate;
        var drop = 0.0;
        if (Is(FaultKind.RetrievalDegradation))
        {
            switch (_fault!.Variant)
            {
                case "score":
                    drop = _fault.Magnitude * Strength();
                    break;
                case "empty":
                    emptyRate = Math.Max(emptyRate, _fault.Magnitude * Strength());
                    break;
                default:
                    drop = _fault.Magnitude * Strength();
                    emptyRate = Math.Max(emptyRate, _fault.Magnitude * Strength());
                    break;
            }
        }

        var empty = _rng.Chance(emptyRate);
        var documents = empty ? 0 : _rng.Between(3, 10);
        double? score = empty ? null : Math.Clamp((_profile.RetrievalScoreMean - drop) + (_profile.RetrievalScoreSd * _rng.Gaussian()), 0.02, 0.99);
        var start = t;
        t += _rng.LogNormal(140, 0.4);
        _spans.Add(NewSpan(NewSpanId(), parent, SpanOperation.Retrieval, Nanos(start), Nanos(t)) with
        {
            RetrievalDocuments = documents,
            RetrievalTopScore = score is { } s ? Math.Round(s, 4) : null,
        });
        t += _rng.Uniform(0.5, 2);
        return documents;
    }

    /// <summary>The answering call: may be cut at max_tokens, stopped by the filter, or fail at the provider.</summary>
    private Outcome FinalAnswer(SpanId parent, ref double t, long input)
    {
        if (_answeredAround)
        {
            // The fault's signature: the tool failed, nobody retried, and the answer comes anyway.
            Chat(parent, ref t, input, SampleOutput(), FinishReasons.Stop);
            return Outcome.Success;
        }

        if (_rng.Chance(_profile.TraceErrorRate))
        {
            var error = _rng.Pick(ProviderErrorTypes);
            var start = t;
            t += _rng.LogNormal(Model().Spec.TimeToFirstTokenMs * 2, 0.5);
            _spans.Add(NewSpan(NewSpanId(), parent, SpanOperation.Chat, Nanos(start), Nanos(t)) with
            {
                Provider = Model().Spec.Provider,
                RequestModel = Model().Spec.Request,
                FinishReasons = FinishReasons.Error,
                IsError = true,
                ErrorType = error,
            });
            return new Outcome(false, error);
        }

        var filterRate = Is(FaultKind.ContentFilterSurge) ? Math.Max(_profile.ContentFilterRate, _fault!.Magnitude * Strength()) : _profile.ContentFilterRate;
        if (_rng.Chance(filterRate))
        {
            Chat(parent, ref t, input, _rng.Between(0, 20), FinishReasons.ContentFilter);
            return Outcome.Success;
        }

        var output = SampleOutput();
        var cap = _profile.MaxOutputTokens;
        if (Is(FaultKind.LengthSurge))
        {
            // max_tokens lowered so that the given share of answers reaches it.
            cap = (long)Math.Max(16, _profile.OutputMedian * TokenFactor(output: true) * Math.Exp(_profile.OutputSigma * Statistics.NormalQuantile(1 - Math.Max(_profile.LengthRate, _fault!.Magnitude * Strength()))));
        }
        else if (Is(FaultKind.TokenBlowUp) && _fault!.Variant != "input")
        {
            cap = long.MaxValue;
        }

        var finish = FinishReasons.Stop;
        if (output >= cap)
        {
            output = cap;
            finish = FinishReasons.Length;
        }

        Chat(parent, ref t, input, output, finish);
        return Outcome.Success;
    }

    private (ModelSpec Spec, string Response) Model()
    {
        var spec = _profile.Primary;
        if (_profile.Secondary is { } secondary)
        {
            var share = Is(FaultKind.CostSpike) && _fault!.Variant == "router_shift"
                ? _profile.SecondaryShare + ((_fault.Magnitude - _profile.SecondaryShare) * Strength())
                : _profile.SecondaryShare;
            if (_rng.Chance(share))
            {
                spec = secondary;
            }
        }

        return (spec, spec.Response);
    }

    private void Chat(SpanId parent, ref double t, long input, long output, FinishReasons finish)
    {
        var (spec, response) = Model();
        var request = spec.Request;
        if (_swapped && spec == _profile.Primary)
        {
            if (_fault!.Variant == "version")
            {
                response = spec.NewVersion;
            }
            else
            {
                spec = SwapTarget();
                request = spec.Request;
                response = spec.Response;
                output = (long)Math.Max(1, output * 0.9);
            }
        }

        _llmCalls++;
        input = (long)Math.Max(1, Math.Round(input * TokenFactor(output: false)));
        output = Math.Max(0, output);
        long? reasoning = spec.Reasoning ? (long)(output * _rng.Uniform(0.4, 0.7)) : null;
        var ttft = _rng.LogNormal(spec.TimeToFirstTokenMs, _profile.LatencySigma) * (1 + (input / 20_000.0));
        var decode = output * spec.MsPerOutputToken * _rng.LogNormal(1, _profile.LatencySigma / 2);
        if (Is(FaultKind.LatencyRegression))
        {
            var factor = 1 + ((_fault!.Magnitude - 1) * Strength());
            if (_fault.Variant == "ttft")
            {
                ttft *= 1 + (2 * (factor - 1));
                decode *= 1 + ((factor - 1) / 2);
            }
            else
            {
                ttft *= factor;
                decode *= factor;
            }
        }

        var start = t;
        t += ttft + decode;
        long? cached = _profile.CachedShare > 0 ? (long)(input * _profile.CachedShare * _rng.Uniform(0.7, 1.0)) : null;
        _spans.Add(NewSpan(NewSpanId(), parent, SpanOperation.Chat, Nanos(start), Nanos(t)) with
        {
            Provider = spec.Provider,
            RequestModel = request,
            ResponseModel = response,
            InputTokens = input,
            OutputTokens = output,
            TotalTokens = input + output,
            CachedInputTokens = cached,
            ReasoningTokens = reasoning,
            FinishReasons = finish,
        });
        t += _rng.Uniform(0.5, 3);
    }

    private ModelSpec SwapTarget()
    {
        var sibling = ModelSpec.ByRequest(_profile.Primary.Sibling);
        if (sibling != _profile.Secondary)
        {
            return sibling;
        }

        return ModelSpec.All.First(m => m != _profile.Primary && m != _profile.Secondary && m.Provider != "openai");
    }

    private long SampleInput(double scale) =>
        (long)Math.Max(8, Math.Round(_rng.LogNormal(_profile.InputMedian * scale, _profile.InputSigma)));

    private long SampleOutput(double scale = 1) =>
        (long)Math.Max(1, Math.Round(_rng.LogNormal(_profile.OutputMedian * scale, _profile.OutputSigma) * TokenFactor(output: true)));

    private long ToolCallOutput() => (long)Math.Max(5, Math.Round(_rng.LogNormal(45, 0.4) * TokenFactor(output: true)));

    /// <summary>The token multiplier of the active fault for input or output tokens.</summary>
    private double TokenFactor(bool output)
    {
        if (Is(FaultKind.TokenBlowUp))
        {
            var factor = 1 + ((_fault!.Magnitude - 1) * Strength());
            return _fault.Variant switch
            {
                "input" => output ? 1 : factor,
                "output" => output ? factor : 1,
                _ => factor,
            };
        }

        if (Is(FaultKind.TokenCreep) && (!output || _fault!.Variant == "both"))
        {
            return 1 + (_fault!.Magnitude * _progress);
        }

        return 1;
    }

    private static double ToolSpeed(string tool)
    {
        // FNV-1a: stable across processes (string.GetHashCode is not).
        var hash = 2166136261u;
        foreach (var c in tool)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return 0.5 + (1.5 * (hash % 1000) / 1000.0);
    }

    private AgentSpan NewSpan(SpanId id, SpanId parent, SpanOperation operation, long startNanos, long endNanos) => new()
    {
        TraceId = _traceId,
        SpanId = id,
        ParentSpanId = parent,
        StartUnixNano = startNanos,
        EndUnixNano = endNanos,
        AgentName = _profile.Name,
        ResourceAgent = _profile.Name,
        Operation = operation,
    };

    private SpanId NewSpanId() => new(_rng.NextNonZero());

    private static long Nanos(double ms) => (long)Math.Round(ms * 1e6);
}
