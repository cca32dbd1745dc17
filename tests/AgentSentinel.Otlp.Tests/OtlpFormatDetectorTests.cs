using System.Text;
using AgentSentinel.Core.Spans;
using Google.Protobuf;

namespace AgentSentinel.Otlp.Tests;

public sealed class OtlpFormatDetectorTests
{
    [Theory]
    [InlineData("{\"resourceSpans\":[]}")]
    [InlineData("  \n\t{\"resourceSpans\":[]}")]
    [InlineData("\uFEFF{}")]
    [InlineData("\n{}")]
    public void Json_starts_with_a_brace_after_optional_whitespace(string text)
    {
        Assert.Equal(OtlpEncoding.OtlpJson, OtlpFormatDetector.Detect(Encoding.UTF8.GetBytes(text)));
    }

    [Fact]
    public void Protobuf_is_recognised_even_when_its_first_bytes_look_like_a_newline_and_a_brace()
    {
        // 0x0A = field 1 (LEN) = '\n'; a ResourceSpans of 123 bytes makes the next byte 0x7B = '{'.
        var rs = new OpenTelemetry.Proto.Trace.V1.ResourceSpans { SchemaUrl = new string('x', 121) };
        var request = new OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest { ResourceSpans = { rs } };
        var bytes = request.ToByteArray();
        Assert.Equal(new byte[] { 0x0A, 0x7B }, bytes[..2]);
        Assert.Equal(OtlpEncoding.OtlpProto, OtlpFormatDetector.Detect(bytes));
    }

    [Theory]
    [InlineData(new byte[] { 0x0A, 0x00 })]
    [InlineData(new byte[] { 0xFF, 0x01 })]
    public void Other_non_empty_payloads_are_protobuf(byte[] payload)
    {
        Assert.Equal(OtlpEncoding.OtlpProto, OtlpFormatDetector.Detect(payload));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\n")]
    public void Empty_or_blank_payloads_cannot_be_told(string text)
    {
        Assert.Null(OtlpFormatDetector.Detect(Encoding.UTF8.GetBytes(text)));
    }
}
