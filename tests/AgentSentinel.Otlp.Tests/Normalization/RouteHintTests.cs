using System.Text;
using AgentSentinel.Core.Spans;
using AgentSentinel.Otlp.Tests.Support;

namespace AgentSentinel.Otlp.Tests.Normalization;

/// <summary><c>AgentSpan.RouteHint</c> from the span attribute <c>agentsentinel.route</c> (both decoders and the oracle agree).</summary>
public sealed class RouteHintTests
{
    [Theory]
    [InlineData("primary", SpanRouteHint.Primary)]
    [InlineData("fallback", SpanRouteHint.Fallback)]
    [InlineData("probe", SpanRouteHint.None)]
    [InlineData("Primary", SpanRouteHint.None)]
    [InlineData("fallback ", SpanRouteHint.None)]
    [InlineData("", SpanRouteHint.None)]
    public void The_route_attribute_says_which_path_served_the_span(string route, SpanRouteHint expected)
    {
        var span = TestSpans.Decode("chat gpt-4o", ("gen_ai.request.model", "gpt-4o"), ("agentsentinel.route", route));
        Assert.Equal(expected, span.RouteHint);
        Assert.Equal("gpt-4o", span.RequestModel);
    }

    [Fact]
    public void A_span_without_the_attribute_or_with_a_non_string_value_says_nothing()
    {
        Assert.Equal(SpanRouteHint.None, TestSpans.Decode("chat gpt-4o", ("gen_ai.request.model", "gpt-4o")).RouteHint);
        Assert.Equal(SpanRouteHint.None, TestSpans.Decode("x", ("agentsentinel.route", 1L)).RouteHint);
        Assert.Equal(SpanRouteHint.None, TestSpans.Decode("x", ("agentsentinel.route", new[] { "fallback" })).RouteHint);
    }

    [Fact]
    public void The_route_on_the_resource_or_on_an_event_is_not_the_spans_route()
    {
        var span = TestSpans.Decode(
            new OpenTelemetry.Proto.Trace.V1.Span { Name = "x", Events = { TestSpans.Event("e", ("agentsentinel.route", "fallback")) } },
            [],
            resource: [("agentsentinel.route", "fallback")]);
        Assert.Equal(SpanRouteHint.None, span.RouteHint);
    }

    [Fact]
    public void Each_span_of_a_batch_keeps_its_own_route()
    {
        var spans = TestSpans.Decode(new OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest
        {
            ResourceSpans =
            {
                new OpenTelemetry.Proto.Trace.V1.ResourceSpans
                {
                    ScopeSpans =
                    {
                        new OpenTelemetry.Proto.Trace.V1.ScopeSpans
                        {
                            Spans = { Span("fallback"), Span(null), Span("primary"), Span("fallback") },
                        },
                    },
                },
            },
        });

        Assert.Equal([SpanRouteHint.Fallback, SpanRouteHint.None, SpanRouteHint.Primary, SpanRouteHint.Fallback], spans.Select(s => s.RouteHint));

        static OpenTelemetry.Proto.Trace.V1.Span Span(string? route)
        {
            var span = new OpenTelemetry.Proto.Trace.V1.Span { Name = "chat gpt-4o" };
            if (route is not null)
            {
                span.Attributes.Add(new OpenTelemetry.Proto.Common.V1.KeyValue { Key = "agentsentinel.route", Value = TestSpans.ToAnyValue(route) });
            }

            return span;
        }
    }

    [Fact]
    public void An_escaped_json_route_value_is_read_unescaped()
    {
        var json = """{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"x","attributes":[{"key":"agentsentinel.route","value":{"stringValue":"f\u0061llback"}}]}]}]}]}""";
        var batch = new SpanBatch();
        Assert.True(new OtlpJsonDecoder().TryDecode(Encoding.UTF8.GetBytes(json), batch, out var failure), failure.ToString());
        Assert.Equal(SpanRouteHint.Fallback, batch[0].RouteHint);
    }
}
