using Microsoft.Extensions.Logging;

namespace AgentSentinel.Actors.Tests.TestSupport;

/// <summary>An <see cref="ILoggerFactory"/> that keeps every line (thread-safe).</summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory
{
    private readonly Lock _gate = new();
    private readonly List<(string Category, LogLevel Level, EventId Event, string Message)> _lines = [];

    public IReadOnlyList<(string Category, LogLevel Level, EventId Event, string Message)> Lines
    {
        get
        {
            lock (_gate)
            {
                return [.. _lines];
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner._gate)
            {
                owner._lines.Add((category, logLevel, eventId, formatter(state, exception)));
            }
        }
    }
}
