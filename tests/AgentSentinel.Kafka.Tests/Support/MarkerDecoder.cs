using System.Buffers.Text;
using System.Text;
using AgentSentinel.Core.Spans;

namespace AgentSentinel.Kafka.Tests.Support;

/// <summary>
/// A stand-in <see cref="ISpanDecoder"/> honouring the contract (never throws, leaves the batch empty on failure):
/// the payload <c>ok:{n}</c> decodes to one span whose span id is n; anything else is rejected as malformed.
/// Payloads are built with <see cref="Good"/> and <see cref="Bad"/>.
/// </summary>
internal sealed class MarkerDecoder : ISpanDecoder
{
    private static readonly byte[] Marker = "ok:"u8.ToArray();
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>The thread that decoded last; decoders must be used from one thread.</summary>
    public int? ThreadId { get; private set; }

    public static byte[] Good(long id) => Encoding.ASCII.GetBytes($"ok:{id}");

    public static byte[] Bad(string text) => Encoding.ASCII.GetBytes("bad:" + text);

    public bool TryDecode(ReadOnlySpan<byte> payload, SpanBatch into, out DecodeFailure failure)
    {
        Interlocked.Increment(ref _calls);
        ThreadId = Environment.CurrentManagedThreadId;
        if (!payload.StartsWith(Marker) || !Utf8Parser.TryParse(payload[Marker.Length..], out long id, out var consumed) || consumed != payload.Length - Marker.Length)
        {
            failure = new DecodeFailure(DecodeErrorKind.Malformed, "missing ok: marker");
            return false;
        }

        ref var span = ref into.Add();
        span.SpanId = new SpanId((ulong)id);
        span.TraceId = new TraceId(1, (ulong)id);
        failure = DecodeFailure.None;
        return true;
    }
}
