namespace AgentSentinel.Core.Spans;

/// <summary>
/// Finish reasons reported by a model call, folded into a closed set so that they can be counted
/// and used as metric labels without ever carrying provider text.
/// </summary>
[Flags]
public enum FinishReasons : byte
{
    None = 0,
    /// <summary>stop, end_turn, STOP, eos, complete.</summary>
    Stop = 1,
    /// <summary>length, max_tokens, MAX_TOKENS, model_length: the answer was truncated.</summary>
    Length = 2,
    /// <summary>content_filter, SAFETY, RECITATION, guardrail_intervened, refusal.</summary>
    ContentFilter = 4,
    /// <summary>tool_calls, tool_use, function_call.</summary>
    ToolCalls = 8,
    /// <summary>error.</summary>
    Error = 16,
    /// <summary>Any other value.</summary>
    Other = 32,
}
