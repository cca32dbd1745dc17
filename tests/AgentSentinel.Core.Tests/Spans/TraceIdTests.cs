using AgentSentinel.Core.Spans;

namespace AgentSentinel.Core.Tests.Spans;

public sealed class TraceIdTests
{
    [Fact]
    public void A_trace_id_round_trips_through_bytes_and_lower_case_hex()
    {
        byte[] bytes = [0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36];

        var id = TraceId.FromBytes(bytes);
        var copy = new byte[16];
        id.WriteBytes(copy);

        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", id.ToString());
        Assert.Equal(bytes, copy);
        Assert.True(TraceId.TryParseHex("4BF92F3577B34DA6A3CE929D0E0E4736", out var parsed));
        Assert.Equal(id, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("4bf92f3577b34da6a3ce929d0e0e473")]
    [InlineData("4bf92f3577b34da6a3ce929d0e0e47zz")]
    public void Anything_but_32_hex_digits_is_not_a_trace_id(string hex) =>
        Assert.False(TraceId.TryParseHex(hex, out _));

    [Fact]
    public void Ids_of_the_wrong_length_read_as_empty()
    {
        Assert.True(TraceId.FromBytes(new byte[15]).IsEmpty);
        Assert.True(SpanId.FromBytes(new byte[7]).IsEmpty);
        Assert.Equal("00f067aa0ba902b7", SpanId.FromBytes([0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]).ToString());
    }
}
