using AgentSentinel.Core.Traces;
using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace AgentSentinel.Actors.Assembly;

/// <summary>
/// One shard of trace assembly (<c>/user/traces/shard-N</c>): a thin actor around a <see cref="TraceAssembler"/>.
/// It answers every step, even one whose processing failed, so that the entry point never waits forever.
/// </summary>
internal sealed class TraceAssemblerActor : ReceiveActor
{
    private readonly int _shard;
    private readonly TraceAssembler _assembler;
    private readonly ILogger _logger;
    private readonly List<AgentTrace> _closed = [];

    public TraceAssemblerActor(int shard, TraceAssemblerSettings settings, ILogger logger)
    {
        _shard = shard;
        _assembler = new TraceAssembler(settings);
        _logger = logger;
        Receive<TraceAssemblyProtocol.AssembleSpans>(Handle);
        Receive<TraceAssemblyProtocol.CloseAllTraces>(Handle);
    }

    public static Props Props(int shard, TraceAssemblerSettings settings, ILogger logger) =>
        Akka.Actor.Props.Create(() => new TraceAssemblerActor(shard, settings, logger));

    protected override void PostStop() => _assembler.Release();

    private void Handle(TraceAssemblyProtocol.AssembleSpans message)
    {
        try
        {
            _assembler.Add(message.Spans, _closed);
            _assembler.Advance(message.Watermark, _closed);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.AssemblyStepFailed(_logger, _shard, message.Step, e);
        }
        finally
        {
            Reply(message.Step);
        }
    }

    private void Handle(TraceAssemblyProtocol.CloseAllTraces message)
    {
        try
        {
            _assembler.CloseAll(_closed);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.AssemblyStepFailed(_logger, _shard, message.Step, e);
        }
        finally
        {
            Reply(message.Step);
        }
    }

    private void Reply(long step)
    {
        Sender.Tell(new TraceAssemblyProtocol.ShardStepDone(_shard, step, _closed.Count == 0 ? [] : [.. _closed]));
        _closed.Clear();
    }
}
