using AgentSentinel.Core.Spans;

namespace AgentSentinel.Otlp.Normalization;

/// <summary>What the argument of a span-name pattern names.</summary>
internal enum SpanNameArgument : byte
{
    None = 0,
    Model,
    Agent,
    Tool,
}

/// <summary>
/// The last-resort classification from span names, used only when no convention attribute classified the span.
/// Deliberately narrow, so that plain HTTP, database or framework spans stay <see cref="SpanOperation.Unknown"/>:
/// <list type="bullet">
/// <item>OTel GenAI names: <c>{operation}</c> or <c>{operation} {argument}</c> with a well-known operation. For the
/// inference, embeddings and retrieval operations the argument must be one token (<c>chat gpt-4o</c>, not
/// <c>chat with support</c>); for <c>execute_tool</c>, <c>invoke_agent</c>, <c>create_agent</c> and
/// <c>invoke_workflow</c> it may be any text.</item>
/// <item>pydantic-ai / Logfire: <c>running tool: {name}</c>; <c>agent run</c>, and <c>{agent} run</c> when the span also
/// carries an agent attribute.</item>
/// <item>Google ADK (before it adopted <c>invoke_agent</c>): <c>agent_run [{agent}]</c>.</item>
/// </list>
/// </summary>
internal static class SpanNameRules
{
    public static SpanOperation Classify(ReadOnlySpan<byte> name, bool hasAgentAttribute, out Range argument, out SpanNameArgument argumentKind)
    {
        argument = default;
        argumentKind = SpanNameArgument.None;
        if (name.IsEmpty)
        {
            return SpanOperation.Unknown;
        }

        var space = name.IndexOf((byte)' ');
        var head = space < 0 ? name : name[..space];
        var restStart = space < 0 ? name.Length : space + 1;
        var rest = name[restStart..];

        var operation = OperationWord(head, out var kind);
        if (operation != SpanOperation.Unknown)
        {
            if (space >= 0 && rest.IsEmpty)
            {
                return SpanOperation.Unknown;
            }

            if (kind is SpanNameArgument.Model or SpanNameArgument.None && operation is not SpanOperation.InvokeWorkflow && rest.Contains((byte)' '))
            {
                return SpanOperation.Unknown;
            }

            if (!rest.IsEmpty && kind != SpanNameArgument.None)
            {
                argument = new Range(restStart, name.Length);
                argumentKind = kind;
            }

            return operation;
        }

        if (name.StartsWith("running tool: "u8) && name.Length > "running tool: "u8.Length)
        {
            argument = new Range("running tool: "u8.Length, name.Length);
            argumentKind = SpanNameArgument.Tool;
            return SpanOperation.ExecuteTool;
        }

        if (name.SequenceEqual("agent run"u8))
        {
            return SpanOperation.InvokeAgent;
        }

        if (hasAgentAttribute && name.Length > " run"u8.Length && name.EndsWith(" run"u8))
        {
            argument = new Range(0, name.Length - " run"u8.Length);
            argumentKind = SpanNameArgument.Agent;
            return SpanOperation.InvokeAgent;
        }

        if (name.StartsWith("agent_run ["u8) && name.Length > "agent_run []"u8.Length && name[^1] == (byte)']')
        {
            argument = new Range("agent_run ["u8.Length, name.Length - 1);
            argumentKind = SpanNameArgument.Agent;
            return SpanOperation.InvokeAgent;
        }

        return SpanOperation.Unknown;
    }

    private static SpanOperation OperationWord(ReadOnlySpan<byte> head, out SpanNameArgument argument)
    {
        argument = SpanNameArgument.Model;
        if (head.SequenceEqual("chat"u8) || head.SequenceEqual("chat.completions"u8))
        {
            return SpanOperation.Chat;
        }

        if (head.SequenceEqual("text_completion"u8))
        {
            return SpanOperation.TextCompletion;
        }

        if (head.SequenceEqual("generate_content"u8))
        {
            return SpanOperation.GenerateContent;
        }

        if (head.SequenceEqual("embeddings"u8))
        {
            return SpanOperation.Embeddings;
        }

        argument = SpanNameArgument.Tool;
        if (head.SequenceEqual("execute_tool"u8))
        {
            return SpanOperation.ExecuteTool;
        }

        argument = SpanNameArgument.Agent;
        if (head.SequenceEqual("invoke_agent"u8))
        {
            return SpanOperation.InvokeAgent;
        }

        if (head.SequenceEqual("create_agent"u8))
        {
            return SpanOperation.CreateAgent;
        }

        argument = SpanNameArgument.None;
        if (head.SequenceEqual("retrieval"u8))
        {
            return SpanOperation.Retrieval;
        }

        return head.SequenceEqual("invoke_workflow"u8) ? SpanOperation.InvokeWorkflow : SpanOperation.Unknown;
    }
}
