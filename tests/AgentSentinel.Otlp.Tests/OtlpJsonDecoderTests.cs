using System.Text;
using AgentSentinel.Core.Spans;
using AgentSentinel.Otlp.Tests.Support;

namespace AgentSentinel.Otlp.Tests;

/// <summary>OTLP/JSON quirks (docs/wire-formats.md §2.3) and bad input for the JSON decoder.</summary>
public sealed class OtlpJsonDecoderTests
{
    private static readonly OtlpJsonDecoder Decoder = new();

    private const string TraceLower = "5b8efff798038103d269b633813fc60c";
    private const string TraceUpper = "5B8EFFF798038103D269B633813FC60C";

    // ------------------------------------------------------------ quirks

    [Fact]
    public void Hex_ids_decode_the_same_in_either_case()
    {
        var lower = Single(SpanJson($"\"traceId\":\"{TraceLower}\",\"spanId\":\"eee19b7ec3c1b174\",\"parentSpanId\":\"eee19b7ec3c1b173\""));
        var upper = Single(SpanJson($"\"traceId\":\"{TraceUpper}\",\"spanId\":\"EEE19B7EC3C1B174\",\"parentSpanId\":\"EEE19B7EC3C1B173\""));
        Assert.Equal(lower, upper);
        Assert.Equal(TraceLower, lower.TraceId.ToString());
        Assert.Equal("eee19b7ec3c1b174", lower.SpanId.ToString());
        Assert.Equal("eee19b7ec3c1b173", lower.ParentSpanId.ToString());
    }

    [Fact]
    public void Empty_ids_are_empty_and_a_root_span_has_no_parent()
    {
        var span = Single(SpanJson("\"traceId\":\"\",\"spanId\":\"\",\"parentSpanId\":\"\""));
        Assert.True(span.TraceId.IsEmpty && span.SpanId.IsEmpty && span.ParentSpanId.IsEmpty);
    }

    [Theory]
    [InlineData("\"traceId\":\"5b8efff798038103d269b633813fc6zz\"")]
    [InlineData("\"traceId\":\"5b8efff798038103\"")]
    [InlineData("\"spanId\":\"eee19b7ec3c1b17\"")]
    [InlineData("\"spanId\":\"not-hex!not-hex!\"")]
    [InlineData("\"traceId\":\"W4/v95gDgQPSabYzgT/GDA==\"")]
    [InlineData("\"spanId\":12345")]
    public void Invalid_hex_ids_are_malformed(string field)
    {
        AssertRejected(SpanJson(field), DecodeErrorKind.Malformed);
    }

    [Fact]
    public void Int64_values_are_accepted_as_strings_or_numbers()
    {
        var asStrings = Single(SpanJson("\"startTimeUnixNano\":\"1544712660000000000\",\"endTimeUnixNano\":\"1544712661000000000\"",
            "{\"key\":\"gen_ai.usage.input_tokens\",\"value\":{\"intValue\":\"163\"}}"));
        var asNumbers = Single(SpanJson("\"startTimeUnixNano\":1544712660000000000,\"endTimeUnixNano\":1544712661000000000",
            "{\"key\":\"gen_ai.usage.input_tokens\",\"value\":{\"intValue\":163}}"));
        Assert.Equal(asStrings, asNumbers);
        Assert.Equal((1544712660000000000L, 1_000_000_000L, 163L), (asStrings.StartUnixNano, asStrings.DurationNanos, asStrings.InputTokens));
    }

    [Theory]
    [InlineData("\"startTimeUnixNano\":\"soon\"")]
    [InlineData("\"startTimeUnixNano\":-1")]
    [InlineData("\"startTimeUnixNano\":1.5")]
    [InlineData("\"startTimeUnixNano\":true")]
    public void Invalid_timestamps_are_malformed(string field)
    {
        AssertRejected(SpanJson(field), DecodeErrorKind.Malformed);
    }

    [Theory]
    [InlineData("{\"intValue\":\"1.5\"}")]
    [InlineData("{\"intValue\":1.5}")]
    [InlineData("{\"intValue\":\"9223372036854775808\"}")]
    [InlineData("{\"doubleValue\":\"fast\"}")]
    [InlineData("{\"boolValue\":1}")]
    [InlineData("{\"bytesValue\":\"not base64!\"}")]
    [InlineData("{\"stringValue\":42}")]
    [InlineData("{\"stringValue\":\"a\",\"intValue\":1}")]
    [InlineData("{\"arrayValue\":[1,2]}")]
    [InlineData("\"just a string\"")]
    public void Values_of_the_wrong_type_are_malformed_even_under_unknown_keys(string value)
    {
        AssertRejected(SpanJson(string.Empty, $"{{\"key\":\"noise\",\"value\":{value}}}"), DecodeErrorKind.Malformed);
    }

    [Fact]
    public void Enum_names_and_numbers_are_both_accepted()
    {
        var byName = Single(SpanJson("\"kind\":\"SPAN_KIND_CLIENT\",\"status\":{\"code\":\"STATUS_CODE_ERROR\",\"message\":\"boom\"}"));
        var byNumber = Single(SpanJson("\"kind\":3,\"status\":{\"code\":2}"));
        var ok = Single(SpanJson("\"kind\":\"SPAN_KIND_SERVER\",\"status\":{\"code\":\"STATUS_CODE_OK\"}"));
        Assert.True(byName.IsError);
        Assert.Equal(byName, byNumber);
        Assert.False(ok.IsError);
    }

    [Fact]
    public void Doubles_arrive_as_numbers_integers_or_special_strings()
    {
        Assert.Equal(0.5, Single(SpanJson(string.Empty, "{\"key\":\"gen_ai.usage.cost\",\"value\":{\"doubleValue\":0.5}}")).CostUsd);
        Assert.Equal(2.0, Single(SpanJson(string.Empty, "{\"key\":\"gen_ai.usage.cost\",\"value\":{\"doubleValue\":2}}")).CostUsd);
        Assert.Equal(0.25, Single(SpanJson(string.Empty, "{\"key\":\"gen_ai.usage.cost\",\"value\":{\"doubleValue\":\"0.25\"}}")).CostUsd);
        Assert.Null(Single(SpanJson(string.Empty, "{\"key\":\"gen_ai.usage.cost\",\"value\":{\"doubleValue\":\"NaN\"}}")).CostUsd);
        Assert.Null(Single(SpanJson(string.Empty, "{\"key\":\"gen_ai.usage.cost\",\"value\":{\"doubleValue\":\"-Infinity\"}}")).CostUsd);
        Assert.Null(Single(SpanJson(string.Empty, "{\"key\":\"gen_ai.usage.cost\",\"value\":{\"doubleValue\":\"Infinity\"}}")).CostUsd);
    }

    [Fact]
    public void Unknown_fields_are_ignored_at_every_level_whole_subtrees_included()
    {
        var json = """
            {"x":{"resourceSpans":[1,2]},"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}],"y":[{}]},
              "scopeSpans":[{"scope":{"name":"s","attributes":[{"key":"k","value":{"weird":{"deep":[[[]]]}}}]},"z":null,
                "spans":[{"traceId":"5b8efff798038103d269b633813fc60c","future":{"spans":[{"traceId":"zz"}]},"name":"chat gpt-4o",
                  "attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o","extra":true}},{"unknown":1,"key":"gen_ai.usage.input_tokens","value":{"intValue":"5"}}],
                  "links":[{"traceId":"whatever"}],"droppedAttributesCount":3,"flags":256}]}],"schemaUrl":"u"}],"trailer":"}"}
            """;
        var span = Single(json);
        Assert.Equal(("svc", "gpt-4o", 5L, SpanOperation.Chat), (span.ResourceAgent, span.RequestModel, span.InputTokens, span.Operation));
    }

    [Fact]
    public void Legacy_instrumentation_library_spans_are_read()
    {
        var json = """{"resourceSpans":[{"instrumentationLibrarySpans":[{"instrumentationLibrary":{"name":"old"},"spans":[{"name":"chat gpt-3.5-turbo"}]}]}]}""";
        Assert.Equal("gpt-3.5-turbo", Single(json).RequestModel);
    }

    [Fact]
    public void Original_proto_field_names_are_accepted_as_well_as_lower_camel_case()
    {
        var json = """{"resource_spans":[{"scope_spans":[{"spans":[{"trace_id":"5b8efff798038103d269b633813fc60c","start_time_unix_nano":"7","attributes":[{"key":"gen_ai.usage.input_tokens","value":{"int_value":"9"}}]}]}]}]}""";
        var span = Single(json);
        Assert.Equal((TraceLower, 7L, 9L), (span.TraceId.ToString(), span.StartUnixNano, span.InputTokens));
    }

    [Fact]
    public void Bytes_values_are_base64_and_hash_as_their_decoded_bytes()
    {
        var span = Single(SpanJson("\"name\":\"execute_tool upload\"", "{\"key\":\"gen_ai.tool.call.arguments\",\"value\":{\"bytesValue\":\"AAEC/w==\"}}"));
        Assert.Equal(ReferenceMapper.Fnv1a([0, 1, 2, 255]), span.ToolArgumentsHash);
    }

    [Fact]
    public void Escaped_strings_are_unescaped_before_use_and_before_hashing()
    {
        var plain = Single(SpanJson("\"name\":\"execute_tool run\"", "{\"key\":\"gen_ai.tool.call.arguments\",\"value\":{\"stringValue\":\"{\\\"q\\\":\\\"é\\\"}\"}}", "{\"key\":\"gen_ai.tool.name\",\"value\":{\"stringValue\":\"se\\u0061rch\"}}"));
        Assert.Equal("search", plain.ToolName);
        Assert.Equal(ReferenceMapper.Fnv1a(Encoding.UTF8.GetBytes("{\"q\":\"é\"}")), plain.ToolArgumentsHash);
    }

    [Fact]
    public void A_value_before_its_key_is_read_once_the_key_is_known()
    {
        var span = Single(SpanJson(string.Empty, "{\"value\":{\"stringValue\":\"gpt-4o\"},\"key\":\"gen_ai.request.model\"}"));
        Assert.Equal("gpt-4o", span.RequestModel);
    }

    [Fact]
    public void Null_collections_and_values_are_empty()
    {
        var json = """{"resourceSpans":[{"resource":null,"scopeSpans":[{"scope":null,"spans":[{"name":null,"attributes":null,"events":null,"status":null,"kind":null}]}]}]}""";
        Assert.Equal(new AgentSpan { Resource = ResourceAttributes.Empty }, Single(json));
        Assert.True(Decoder.TryDecode("{}"u8, new SpanBatch(), out _));
        Assert.True(Decoder.TryDecode("""{"resourceSpans":null}"""u8, new SpanBatch(), out _));
    }

    [Fact]
    public void A_byte_order_mark_and_surrounding_whitespace_are_tolerated()
    {
        var json = Encoding.UTF8.GetBytes("\uFEFF \n" + SpanJson("\"name\":\"chat gpt-4o\"") + " \r\n");
        var batch = new SpanBatch();
        Assert.True(Decoder.TryDecode(json, batch, out var failure), failure.ToString());
        Assert.Equal(SpanOperation.Chat, batch[0].Operation);
    }

    // ------------------------------------------------------------ bad input

    [Theory]
    [InlineData("")]
    [InlineData("   \n\t ")]
    public void Empty_or_blank_records_are_empty(string json)
    {
        AssertRejected(json, DecodeErrorKind.Empty);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("\"resourceSpans\"")]
    [InlineData("{\"resourceSpans\":{}}")]
    [InlineData("{\"resourceSpans\":[1]}")]
    [InlineData("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":5}]}]}")]
    [InlineData("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"attributes\":{}}]}]}]}")]
    [InlineData("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"status\":[]}]}]}]}")]
    [InlineData("{\"resourceSpans\":[]} trailing")]
    [InlineData("{\"resourceSpans\":[]}{}")]
    [InlineData("{\"resourceSpans\":[],}")]
    [InlineData("{'resourceSpans':[]}")]
    [InlineData("{\"resourceSpans\":[] /* comment */}")]
    [InlineData("\u0001\u0002protobuf?")]
    public void Malformed_json_is_rejected_as_malformed(string json)
    {
        AssertRejected(json, DecodeErrorKind.Malformed);
    }

    [Fact]
    public void Invalid_utf8_inside_a_string_that_is_unescaped_is_malformed_or_replaced_but_never_throws()
    {
        byte[] json = [.. "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"a\\n"u8, 0xC3, 0x28, .. "\"}]}]}]}"u8];
        var batch = new SpanBatch();
        var ok = Decoder.TryDecode(json, batch, out var failure);
        Assert.True(ok || failure.Kind == DecodeErrorKind.Malformed);
    }

    [Fact]
    public void Every_prefix_of_a_valid_record_is_rejected_as_truncated_without_throwing()
    {
        foreach (var record in SmallRecords())
        {
            var batch = new SpanBatch();
            for (var cut = 1; cut < record.Length; cut++)
            {
                batch.Add();
                var ok = Decoder.TryDecode(record.AsSpan(0, cut), batch, out var failure);
                if (record.AsSpan(cut).IndexOfAnyExcept(" \t\r\n"u8) < 0)
                {
                    Assert.True(ok); // only trailing whitespace was cut
                    continue;
                }

                Assert.False(ok, $"prefix of {cut} bytes accepted");
                Assert.Equal(0, batch.Count);
                Assert.Equal(record.AsSpan(0, cut).IndexOfAnyExcept(" \t\r\n"u8) < 0 ? DecodeErrorKind.Empty : DecodeErrorKind.Truncated, failure.Kind);
            }
        }
    }

    [Fact]
    public void Random_byte_flips_never_throw()
    {
        var random = new Random(3);
        var records = SmallRecords().ToArray();
        var batch = new SpanBatch();
        for (var i = 0; i < 3000; i++)
        {
            var mutated = (byte[])records[random.Next(records.Length)].Clone();
            for (var f = random.Next(1, 4); f > 0; f--)
            {
                mutated[random.Next(mutated.Length)] = random.Next(3) == 0 ? (byte)"{}[]\",:\\"[random.Next(8)] : (byte)random.Next(256);
            }

            if (!Decoder.TryDecode(mutated, batch, out var failure))
            {
                Assert.Equal(0, batch.Count);
                Assert.NotEqual(DecodeErrorKind.None, failure.Kind);
            }
        }
    }

    [Fact]
    public void An_oversized_record_is_rejected_before_parsing()
    {
        var decoder = new OtlpJsonDecoder(new OtlpDecoderOptions { MaxRecordBytes = 1024 });
        var big = Encoding.UTF8.GetBytes("{" + new string(' ', 2000) + "broken");
        var batch = new SpanBatch();
        Assert.False(decoder.TryDecode(big, batch, out var failure));
        Assert.Equal(DecodeErrorKind.TooLarge, failure.Kind);
    }

    [Fact]
    public void Limits_on_spans_attributes_and_nesting_are_enforced()
    {
        var threeSpans = """{"resourceSpans":[{"scopeSpans":[{"spans":[{},{},{}]}]}]}""";
        AssertRejected(threeSpans, DecodeErrorKind.LimitExceeded, new OtlpJsonDecoder(new OtlpDecoderOptions { MaxSpansPerRecord = 2 }));

        var attributes = string.Join(',', Enumerable.Range(0, 11).Select(i => $"{{\"key\":\"k{i}\",\"value\":{{\"intValue\":{i}}}}}"));
        AssertRejected(SpanJson(string.Empty, attributes), DecodeErrorKind.LimitExceeded, new OtlpJsonDecoder(new OtlpDecoderOptions { MaxAttributesPerSpan = 10 }));

        var nested = "{\"stringValue\":\"leaf\"}";
        for (var i = 0; i < 5; i++)
        {
            nested = $"{{\"arrayValue\":{{\"values\":[{nested}]}}}}";
        }

        var deep = SpanJson(string.Empty, $"{{\"key\":\"noise\",\"value\":{nested}}}");
        AssertRejected(deep, DecodeErrorKind.LimitExceeded, new OtlpJsonDecoder(new OtlpDecoderOptions { MaxAnyValueDepth = 4 }));
        Assert.True(new OtlpJsonDecoder(new OtlpDecoderOptions { MaxAnyValueDepth = 5 }).TryDecode(Encoding.UTF8.GetBytes(deep), new SpanBatch(), out _));
    }

    [Fact]
    public void Json_nested_beyond_the_reader_depth_in_unknown_fields_is_malformed_not_thrown()
    {
        var deep = "{\"x\":" + new string('[', 500) + new string(']', 500) + "}";
        AssertRejected(deep, DecodeErrorKind.Malformed);
    }

    private static IEnumerable<byte[]> SmallRecords()
    {
        yield return FixtureFiles.Read("otel-proto", "example-trace.json");
        foreach (var record in StreamRecords.Json.Where(r => r.Length < 4500))
        {
            yield return record;
        }

        var generator = new RandomRequests(8);
        var dialect = new JsonDialect { Indented = true, EnumNames = true, ValueBeforeKey = true, UnknownFields = true };
        yield return Enumerable.Range(0, 50).Select(_ => OtlpJsonWriter.Write(generator.Next(), dialect)).First(r => r.Length is > 2000 and < 5000);
    }

    private static string SpanJson(string fields, params string[] attributes)
    {
        var separator = fields.Length > 0 ? "," : string.Empty;
        return $"{{\"resourceSpans\":[{{\"scopeSpans\":[{{\"spans\":[{{{fields}{separator}\"attributes\":[{string.Join(',', attributes)}]}}]}}]}}]}}";
    }

    private static AgentSpan Single(string json)
    {
        var batch = new SpanBatch();
        Assert.True(Decoder.TryDecode(Encoding.UTF8.GetBytes(json), batch, out var failure), failure.ToString());
        return Assert.Single(batch.Spans.ToArray());
    }

    private static void AssertRejected(string json, DecodeErrorKind kind, OtlpJsonDecoder? decoder = null)
    {
        var batch = new SpanBatch();
        batch.Add().AgentName = "left over";
        Assert.False((decoder ?? Decoder).TryDecode(Encoding.UTF8.GetBytes(json), batch, out var failure), json);
        Assert.Equal(kind, failure.Kind);
        Assert.False(string.IsNullOrEmpty(failure.Reason));
        Assert.Equal(0, batch.Count);
    }
}
