namespace AgentSentinel.Core.Spans;

/// <summary>
/// What a span does, normalised across conventions (OTel GenAI <c>gen_ai.operation.name</c>,
/// OpenInference span kinds, OpenLLMetry <c>traceloop.span.kind</c>, LangSmith run types, Vercel AI SDK operation ids).
/// </summary>
public enum SpanOperation : byte
{
    /// <summary>No GenAI convention recognised on the span (plain HTTP, framework glue).</summary>
    Unknown = 0,
    Chat,
    TextCompletion,
    GenerateContent,
    Embeddings,
    Retrieval,
    Rerank,
    ExecuteTool,
    CreateAgent,
    InvokeAgent,
    InvokeWorkflow,
    /// <summary>A framework step: chain, task, graph node.</summary>
    Chain,
    Guardrail,
    Evaluator,
    /// <summary>A GenAI convention was present but named an operation we do not model.</summary>
    Other,
}

public static class SpanOperationExtensions
{
    /// <summary>True for a call to a language model (the unit of token accounting).</summary>
    public static bool IsLlmCall(this SpanOperation operation) =>
        operation is SpanOperation.Chat or SpanOperation.TextCompletion or SpanOperation.GenerateContent;

    /// <summary>Snake-case name as used in reports and the OTel convention.</summary>
    public static string ToWireName(this SpanOperation operation) => operation switch
    {
        SpanOperation.Chat => "chat",
        SpanOperation.TextCompletion => "text_completion",
        SpanOperation.GenerateContent => "generate_content",
        SpanOperation.Embeddings => "embeddings",
        SpanOperation.Retrieval => "retrieval",
        SpanOperation.Rerank => "rerank",
        SpanOperation.ExecuteTool => "execute_tool",
        SpanOperation.CreateAgent => "create_agent",
        SpanOperation.InvokeAgent => "invoke_agent",
        SpanOperation.InvokeWorkflow => "invoke_workflow",
        SpanOperation.Chain => "chain",
        SpanOperation.Guardrail => "guardrail",
        SpanOperation.Evaluator => "evaluator",
        SpanOperation.Other => "other",
        _ => "unknown",
    };
}
