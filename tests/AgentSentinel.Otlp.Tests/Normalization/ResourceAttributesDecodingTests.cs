using System.Text;
using AgentSentinel.Core.Spans;
using AgentSentinel.Otlp.Tests.Support;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace AgentSentinel.Otlp.Tests.Normalization;

/// <summary><c>AgentSpan.Resource</c>: the resource's scalar attributes, one shared instance per resource, interned across records.</summary>
public sealed class ResourceAttributesDecodingTests
{
    // ------------------------------------------------------------ real fixtures

    [Fact]
    public void A_real_csharp_agent_record_carries_its_service_and_deployment_environment_in_both_encodings()
    {
        var fromJson = DecodeJson(FixtureFiles.Read("langfuse", "otlp-json", "csharp-agent-with-gemini-2026-03-09.otlp.json"));
        var fromProto = DecodeProto(StreamRecords.Proto.Single(r => r.AsSpan().IndexOf("agentic-clientinsights"u8) >= 0));

        foreach (var spans in new[] { fromJson, fromProto })
        {
            Assert.Equal(8, spans.Length);
            var resource = spans[0].Resource!;
            Assert.All(spans, s => Assert.Same(resource, s.Resource));
            Assert.Equal(
                [
                    new("deployment.environment.name", "preprod"),
                    new("service.instance.id", "10NDX"),
                    new("service.name", "agentic-clientinsights"),
                    new("service.version", "105537"),
                ],
                resource.ToArray());
        }

        SpanAssert.Equal(fromJson, fromProto);
    }

    [Fact]
    public void A_real_node_record_keeps_its_scalars_renders_the_int_pid_and_skips_the_array_of_command_args()
    {
        var record = StreamRecords.Json.Single(r => r.AsSpan().IndexOf("playground/js"u8) >= 0);
        var spans = DecodeJson(record);
        var resource = spans[0].Resource!;

        Assert.True(resource.TryGetValue("process.pid", out var pid));
        Assert.Equal("97650", pid);
        Assert.True(resource.TryGetValue("host.arch", out var arch));
        Assert.Equal("arm64", arch);
        Assert.True(resource.TryGetValue("service.name", out var service));
        Assert.Equal("unknown_service:/opt/homebrew/bin/deno", service); // kept as an attribute, though it names no agent
        Assert.Null(spans[0].ResourceAgent);
        Assert.False(resource.TryGetValue("process.command_args", out _));
        Assert.Equal(15, resource.Count);
    }

    [Fact]
    public void Every_record_of_the_stream_has_a_resource_on_every_span_matching_the_generated_parser()
    {
        var proto = new OtlpProtoDecoder();
        var batch = new SpanBatch();
        var withEnvironment = 0;
        foreach (var record in StreamRecords.Proto)
        {
            Assert.True(proto.TryDecode(record, batch, out _));
            var request = ExportTraceServiceRequest.Parser.ParseFrom(record);
            var expected = ReferenceMapper.Resource(request.ResourceSpans[0].Resource);
            Assert.All(batch.ToArray(), s => Assert.True(expected.ContentEquals(s.Resource), SpanAssert.Describe(s.Resource)));
            Assert.NotEmpty(expected);
            withEnvironment += batch[0].Resource!.TryGetValue("deployment.environment.name", out _) ? 1 : 0;
        }

        Assert.Equal(1, withEnvironment);
    }

    // ------------------------------------------------------------ hand-built records (both decoders and the oracle agree)

    [Fact]
    public void Scalars_are_rendered_invariantly_and_bytes_arrays_and_key_value_lists_are_skipped()
    {
        var span = TestSpans.Decode(new Span { Name = "chat gpt-4o" }, [], resource:
        [
            ("service.name", "billing-agent"),
            ("deployment.environment", "prod"),
            ("k8s.pod.ready", true),
            ("replicas", 3L),
            ("negative", -42L),
            ("ratio", 0.25),
            ("big", 1e21),
            ("not.a.number", double.NaN),
            ("empty", string.Empty),
            ("raw", new byte[] { 1, 2, 3 }),
            ("tags", new[] { "a", "b" }),
            ("labels", new[] { ("team", (object?)"payments") }),
            ("absent", null),
        ]);

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["big"] = "1E+21",
                ["deployment.environment"] = "prod",
                ["empty"] = string.Empty,
                ["k8s.pod.ready"] = "true",
                ["negative"] = "-42",
                ["not.a.number"] = "NaN",
                ["ratio"] = "0.25",
                ["replicas"] = "3",
                ["service.name"] = "billing-agent",
            },
            span.Resource!.ToDictionary());
        Assert.Equal("billing-agent", span.ResourceAgent);
    }

    [Fact]
    public void A_span_without_resource_attributes_gets_the_empty_set_never_null()
    {
        var span = TestSpans.Decode("chat gpt-4o");
        Assert.Same(ResourceAttributes.Empty, span.Resource);

        var request = new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { new Span { Name = "x" } } } } } } };
        Assert.Same(ResourceAttributes.Empty, DecodeProto(request.ToByteArray())[0].Resource);
        Assert.Same(ResourceAttributes.Empty, DecodeJson(OtlpJsonWriter.Write(request))[0].Resource);
        Assert.Same(ResourceAttributes.Empty, DecodeJson("""{"resourceSpans":[{"resource":null,"scopeSpans":[{"spans":[{"name":"x"}]}]}]}"""u8.ToArray())[0].Resource);
    }

    [Fact]
    public void Over_long_keys_and_values_are_dropped_and_the_bounds_count_characters_not_bytes()
    {
        var longKey = new string('k', ResourceAttributes.MaxKeyLength + 1);
        var span = TestSpans.Decode(new Span { Name = "x" }, [], resource:
        [
            ("team", "payments"),
            ("too.long", new string('v', ResourceAttributes.MaxValueLength + 1)),
            ("at.the.limit", new string('v', ResourceAttributes.MaxValueLength)),
            ("accents.at.the.limit", new string('é', ResourceAttributes.MaxValueLength)), // 512 bytes, 256 characters
            ("accents.too.long", new string('é', ResourceAttributes.MaxValueLength + 1)),
            ("emoji.too.long", string.Concat(Enumerable.Repeat("😀", 200))), // 800 bytes, 400 UTF-16 characters
            (longKey, "x"),
            (new string('k', ResourceAttributes.MaxKeyLength), "y"),
        ]);

        var resource = span.Resource!;
        Assert.Equal(["accents.at.the.limit", "at.the.limit", new string('k', ResourceAttributes.MaxKeyLength), "team"], resource.Select(kv => kv.Key));
        Assert.Equal(ResourceAttributes.MaxValueLength, resource.Single(kv => kv.Key == "accents.at.the.limit").Value.Length);
    }

    [Fact]
    public void At_most_the_bounded_number_of_attributes_are_kept()
    {
        var attributes = Enumerable.Range(0, 50).Select(i => ($"attr.{i:D2}", (object?)"v")).ToArray();
        var span = TestSpans.Decode(new Span { Name = "x" }, [], resource: attributes);
        Assert.Equal(ResourceAttributes.MaxCount, span.Resource!.Count);
        Assert.True(span.Resource.TryGetValue("attr.00", out _));
        Assert.False(span.Resource.TryGetValue("attr.49", out _));
    }

    [Fact]
    public void Escaped_json_keys_and_values_and_a_value_before_its_key_are_decoded()
    {
        var json = """
            {"resourceSpans":[{"resource":{"attributes":[
              {"key":"service.n\u0061me","value":{"stringValue":"caf\u00e9-agent"}},
              {"value":{"stringValue":"payments"},"key":"team"},
              {"value":{"intValue":"7"},"key":"shard"}
            ]},"scopeSpans":[{"spans":[{"name":"x"}]}]}]}
            """;
        var span = DecodeJson(Encoding.UTF8.GetBytes(json)).Single();

        Assert.Equal(
            new Dictionary<string, string> { ["service.name"] = "café-agent", ["shard"] = "7", ["team"] = "payments" },
            span.Resource!.ToDictionary());
        Assert.Equal("café-agent", span.ResourceAgent);
    }

    // ------------------------------------------------------------ sharing and interning

    [Fact]
    public void Each_resource_of_a_record_has_its_own_instance_shared_by_all_its_spans()
    {
        var request = new ExportTraceServiceRequest
        {
            ResourceSpans =
            {
                ResourceSpans(("service.name", "a"), ("deployment.environment", "prod")),
                ResourceSpans(("service.name", "b"), ("deployment.environment", "prod")),
            },
        };

        foreach (var spans in new[] { DecodeProto(request.ToByteArray()), DecodeJson(OtlpJsonWriter.Write(request)) })
        {
            Assert.Equal(6, spans.Length);
            Assert.Same(spans[0].Resource, spans[1].Resource);
            Assert.Same(spans[0].Resource, spans[2].Resource);
            Assert.Same(spans[3].Resource, spans[5].Resource);
            Assert.NotSame(spans[0].Resource, spans[3].Resource);
            Assert.Equal(["a", "a", "a", "b", "b", "b"], spans.Select(s => s.Resource!.TryGetValue("service.name", out var v) ? v : null));
        }
    }

    [Fact]
    public void A_resource_repeated_in_a_later_record_is_the_same_instance_in_both_encodings()
    {
        var first = new ExportTraceServiceRequest { ResourceSpans = { ResourceSpans(("service.name", "billing"), ("deployment.environment", "prod")) } };
        var second = new ExportTraceServiceRequest { ResourceSpans = { ResourceSpans(("service.name", "billing"), ("deployment.environment", "prod")) } };
        second.ResourceSpans[0].ScopeSpans[0].Spans[0].Name = "another span";
        var other = new ExportTraceServiceRequest { ResourceSpans = { ResourceSpans(("service.name", "billing"), ("deployment.environment", "staging")) } };

        var proto = new OtlpProtoDecoder();
        var json = new OtlpJsonDecoder();
        var fromProto = Decode(proto, first.ToByteArray()).Resource;
        Assert.Same(fromProto, Decode(proto, second.ToByteArray()).Resource);
        Assert.NotSame(fromProto, Decode(proto, other.ToByteArray()).Resource);
        Assert.Same(fromProto, Decode(proto, first.ToByteArray()).Resource);

        var fromJson = Decode(json, OtlpJsonWriter.Write(first)).Resource;
        Assert.Same(fromJson, Decode(json, OtlpJsonWriter.Write(second, new JsonDialect { ValueBeforeKey = true, UnknownFields = true })).Resource);
        Assert.True(fromJson!.ContentEquals(fromProto));
    }

    [Fact]
    public void Decoding_a_repeated_resource_in_steady_state_allocates_nothing()
    {
        var request = new ExportTraceServiceRequest
        {
            ResourceSpans =
            {
                ResourceSpans(("service.name", "billing"), ("deployment.environment", "prod"), ("team", "payments"), ("replicas", 3L), ("ratio", 0.5), ("ready", true)),
                ResourceSpans(("service.name", "search"), ("deployment.environment", "prod"), ("tags", new[] { "a" })),
            },
        };
        var batch = new SpanBatch(16);

        Assert.Equal(0, SteadyStateDecode.AllocatedBytes(request, batch));
        Assert.Equal(6, batch[0].Resource!.Count);
    }

    // ------------------------------------------------------------ helpers

    private static ResourceSpans ResourceSpans(params (string Key, object? Value)[] attributes)
    {
        var resource = new Resource();
        foreach (var (key, value) in attributes)
        {
            resource.Attributes.Add(new KeyValue { Key = key, Value = TestSpans.ToAnyValue(value) });
        }

        var scope = new ScopeSpans();
        for (var i = 0; i < 3; i++)
        {
            scope.Spans.Add(new Span { Name = "chat gpt-4o", SpanId = ByteString.CopyFrom([1, 2, 3, 4, 5, 6, 7, (byte)i]) });
        }

        return new ResourceSpans { Resource = resource, ScopeSpans = { scope } };
    }

    private static AgentSpan Decode(ISpanDecoder decoder, byte[] record)
    {
        var batch = new SpanBatch();
        Assert.True(decoder.TryDecode(record, batch, out var failure), failure.ToString());
        return batch[0];
    }

    private static AgentSpan[] DecodeJson(byte[] record)
    {
        var batch = new SpanBatch();
        Assert.True(new OtlpJsonDecoder().TryDecode(record, batch, out var failure), failure.ToString());
        return batch.ToArray();
    }

    private static AgentSpan[] DecodeProto(byte[] record)
    {
        var batch = new SpanBatch();
        Assert.True(new OtlpProtoDecoder().TryDecode(record, batch, out var failure), failure.ToString());
        return batch.ToArray();
    }
}
