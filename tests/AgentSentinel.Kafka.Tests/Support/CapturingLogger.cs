using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AgentSentinel.Kafka.Tests.Support;

/// <summary>Keeps every log line, to check what is (and is not) logged.</summary>
internal sealed class CapturingLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<(LogLevel Level, EventId EventId, string Message)> _lines = new();

    public IReadOnlyList<(LogLevel Level, EventId EventId, string Message)> Lines => [.. _lines];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _lines.Enqueue((logLevel, eventId, formatter(state, exception)));
}
