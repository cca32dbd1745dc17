using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Dispatch;
using Akka.Event;
using Microsoft.Extensions.Logging;
using MelLogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace AgentSentinel.Actors.Hosting;

/// <summary>Carries the <see cref="ILoggerFactory"/> into the actor system for <see cref="AkkaLoggerBridge"/>.</summary>
internal sealed class LoggerFactorySetup(ILoggerFactory loggerFactory) : Setup
{
    public ILoggerFactory LoggerFactory { get; } = loggerFactory;
}

/// <summary>
/// Akka's logger (configured in <c>akka.loggers</c>): writes Akka's own log events through Microsoft.Extensions.Logging,
/// under the category of the class that logged (e.g. <c>Akka.Actor.CoordinatedShutdown</c>). Nothing goes to stdout.
/// </summary>
internal sealed class AkkaLoggerBridge : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private readonly ILoggerFactory _factory;
    private readonly Dictionary<Type, ILogger> _loggers = [];
    private readonly ILogger _fallback;

    public AkkaLoggerBridge()
    {
        var setup = Context.System.Settings.Setup.Get<LoggerFactorySetup>();
        _factory = setup.HasValue ? setup.Value.LoggerFactory : Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
        _fallback = _factory.CreateLogger("Akka");
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(Handle);
    }

    private void Handle(LogEvent e)
    {
        var level = e.LogLevel() switch
        {
            Akka.Event.LogLevel.DebugLevel => MelLogLevel.Debug,
            Akka.Event.LogLevel.InfoLevel => MelLogLevel.Information,
            Akka.Event.LogLevel.WarningLevel => MelLogLevel.Warning,
            Akka.Event.LogLevel.ErrorLevel => MelLogLevel.Error,
            _ => MelLogLevel.Trace,
        };
        var logger = LoggerFor(e.LogClass);
        if (logger.IsEnabled(level))
        {
            var text = e.Message?.ToString() ?? string.Empty;
            Log.AkkaEvent(logger, level, e.LogSource ?? string.Empty, text, e is Error error ? error.Cause : null);
        }
    }

    private ILogger LoggerFor(Type? type)
    {
        if (type is null)
        {
            return _fallback;
        }

        if (!_loggers.TryGetValue(type, out var logger))
        {
            _loggers[type] = logger = _factory.CreateLogger(type.FullName ?? type.Name);
        }

        return logger;
    }
}
