using AgentSentinel.Actors.Assembly;
using AgentSentinel.Actors.Remediation;
using AgentSentinel.Core.Pipeline;
using Akka.Actor;

namespace AgentSentinel.Actors.Hosting;

/// <summary>
/// The pipeline's <see cref="ISpanSink"/>: the only thing sources touch. One Ask per record (not per span).
/// </summary>
/// <remarks>
/// <see cref="AcceptAsync"/> completes once every assembler shard has applied the record (spans stored, watermark
/// applied), so a source that stores offsets only then never skips a record the pipeline had not taken. It fails with
/// an <see cref="AskTimeoutException"/> after <see cref="PipelineOptions.AcceptTimeout"/>, or when cancelled.
/// Records are processed in the order their <see cref="AcceptAsync"/> calls are made.
/// </remarks>
internal sealed class ActorSpanSink(IActorRef assembly, PipelineOptions options, Func<bool> stopped) : ISpanSink
{
    public Task AcceptAsync(IngestedRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        ObjectDisposedException.ThrowIf(stopped(), this);
        return assembly.Ask<TraceAssemblyProtocol.Accepted>(new TraceAssemblyProtocol.Ingest(record), options.AcceptTimeout, cancellationToken);
    }

    /// <summary>
    /// Closes every open trace and waits until every trace has been judged, every decision made and reported, and no
    /// flag write is in flight (a write that keeps failing is retried in the background and does not hold the flush).
    /// </summary>
    public Task FlushAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(stopped(), this);
        return assembly.Ask<RemediationProtocol.BarrierPassed>(TraceAssemblyProtocol.Flush.Instance, options.FlushTimeout, cancellationToken);
    }
}
