using AgentSentinel.Core.Spans;
using AgentSentinel.Otlp.Tests.Support;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using static AgentSentinel.Otlp.Tests.Support.TestSpans;

namespace AgentSentinel.Otlp.Tests.Normalization;

/// <summary>RetrievalDocuments and RetrievalTopScore per convention. Every case runs through both wire readers and the oracle.</summary>
public sealed class RetrievalNormalizationTests
{
    // ------------------------------------------------------------ OpenInference

    [Fact]
    public void OpenInference_documents_are_counted_by_index_and_the_best_score_kept()
    {
        var span = Decode("retrieve",
            ("openinference.span.kind", "RETRIEVER"),
            ("input.value", "what is the refund policy?"),
            ("retrieval.documents.0.document.id", "doc-a"),
            ("retrieval.documents.0.document.content", "Refunds within 30 days."),
            ("retrieval.documents.0.document.score", 0.71),
            ("retrieval.documents.1.document.id", "doc-b"),
            ("retrieval.documents.1.document.content", "Shipping is free."),
            ("retrieval.documents.1.document.score", 0.93),
            ("retrieval.documents.2.document.id", "doc-c"),
            ("retrieval.documents.2.document.metadata", "{\"source\": \"faq\"}"),
            ("retrieval.documents.2.document.score", 0.40));

        Assert.Equal(SpanOperation.Retrieval, span.Operation);
        Assert.Equal(3, span.RetrievalDocuments);
        Assert.Equal(0.93, span.RetrievalTopScore);
    }

    [Fact]
    public void OpenInference_counts_distinct_indices_not_the_largest_one_and_a_score_is_optional()
    {
        var span = Decode("retrieve",
            ("openinference.span.kind", "RETRIEVER"),
            ("retrieval.documents.7.document.content", "x"),
            ("retrieval.documents.0.document.id", "a"),
            ("retrieval.documents.7.document.id", "b"),
            ("retrieval.documents.0.document.content", "y"));

        Assert.Equal(2, span.RetrievalDocuments);
        Assert.Null(span.RetrievalTopScore);
    }

    [Fact]
    public void OpenInference_indices_beyond_the_bit_set_still_count()
    {
        var attributes = Enumerable.Range(250, 20).Select(i => ($"retrieval.documents.{i}.document.id", (object?)$"d{i}")).ToList();
        attributes.Add(("openinference.span.kind", "RETRIEVER"));

        var span = Decode(new Span { Name = "retrieve" }, [.. attributes]);

        // 250..255 exactly, then the largest index above 255: 6 + (269 + 1 - 256) = 20.
        Assert.Equal(20, span.RetrievalDocuments);
    }

    [Fact]
    public void An_OpenInference_retriever_that_reports_its_output_but_no_document_retrieved_nothing()
    {
        var empty = Decode("retrieve",
            ("openinference.span.kind", "RETRIEVER"),
            ("input.value", "q"),
            ("output.value", "{\"documents\": []}"));
        var outputHidden = Decode("retrieve",
            ("openinference.span.kind", "RETRIEVER"),
            ("input.value", "q"));

        Assert.Equal(0, empty.RetrievalDocuments);
        Assert.Null(empty.RetrievalTopScore);
        Assert.Null(outputHidden.RetrievalDocuments);
    }

    [Theory]
    [InlineData("retrieval.documents.x.document.id")]
    [InlineData("retrieval.documents.0.id")]
    [InlineData("retrieval.documents.0.document.")]
    [InlineData("retrieval.documents..document.id")]
    [InlineData("retrieval.documents.99999999.document.id")]
    [InlineData("reranker.output_documents.0.document.score")]
    public void Keys_that_only_look_like_document_keys_are_ignored(string key)
    {
        var span = Decode("retrieve", ("openinference.span.kind", "RETRIEVER"), (key, "v"));

        Assert.Null(span.RetrievalDocuments);
    }

    // ------------------------------------------------------------ OTel GenAI

    [Fact]
    public void Otel_genai_retrieval_documents_as_a_json_string_give_the_count_and_the_best_score()
    {
        var span = Decode("retrieval kb-1",
            ("gen_ai.operation.name", "retrieval"),
            ("gen_ai.data_source.id", "kb-1"),
            ("gen_ai.retrieval.documents", """[{"id": "doc_123", "score": 0.95}, {"id": "doc_456", "score": 0.87, "content": "a \"quoted\" text"}, {"id": "doc_789"}]"""));

        Assert.Equal(SpanOperation.Retrieval, span.Operation);
        Assert.Equal(3, span.RetrievalDocuments);
        Assert.Equal(0.95, span.RetrievalTopScore);
    }

    [Fact]
    public void An_empty_otel_genai_document_list_is_an_empty_retrieval()
    {
        var span = Decode("retrieval kb-1", ("gen_ai.operation.name", "retrieval"), ("gen_ai.retrieval.documents", "[]"));

        Assert.Equal(0, span.RetrievalDocuments);
        Assert.Null(span.RetrievalTopScore);
    }

    [Fact]
    public void A_malformed_otel_genai_document_list_reports_nothing()
    {
        var span = Decode("retrieval kb-1", ("gen_ai.operation.name", "retrieval"), ("gen_ai.retrieval.documents", "[{\"id\": \"a\", "));

        Assert.Null(span.RetrievalDocuments);
    }

    [Fact]
    public void The_otel_genai_list_wins_over_openinference_keys_on_the_same_span()
    {
        var span = Decode("retrieval kb-1",
            ("retrieval.documents.0.document.id", "a"),
            ("gen_ai.retrieval.documents", """[{"id": "a", "score": 0.5}, {"id": "b", "score": 0.25}]"""),
            ("gen_ai.operation.name", "retrieval"));

        Assert.Equal((2, 0.5), (span.RetrievalDocuments, span.RetrievalTopScore));
    }

    [Fact]
    public void A_span_without_any_retrieval_attribute_reports_none()
    {
        var span = Decode("chat gpt-4o", ("gen_ai.operation.name", "chat"), ("gen_ai.usage.input_tokens", 10L));

        Assert.Null(span.RetrievalDocuments);
        Assert.Null(span.RetrievalTopScore);
    }

    // ------------------------------------------------------------ OpenLLMetry vector DBs

    [Fact]
    public void OpenLLMetry_result_events_are_the_documents_of_a_vector_query()
    {
        // opentelemetry-instrumentation-pinecone: one db.query.result event per match.
        var span = new Span { Name = "pinecone.query" };
        span.Events.Add(Event("db.query.embeddings", ("db.query.embeddings.vector", "[0.1, 0.2]")));
        span.Events.Add(Event("db.query.result", ("db.query.result.id", "v1"), ("db.query.result.score", 0.82), ("db.query.result.metadata", "{}")));
        span.Events.Add(Event("db.query.result", ("db.query.result.id", "v2"), ("db.query.result.score", 0.91)));

        var decoded = Decode(span, [("db.system", "pinecone"), ("db.pinecone.query.top_k", 2L)]);

        Assert.Equal(SpanOperation.Retrieval, decoded.Operation);
        Assert.Equal((2, 0.91), (decoded.RetrievalDocuments, decoded.RetrievalTopScore));
    }

    [Fact]
    public void OpenLLMetry_distances_are_not_relevance_scores()
    {
        // opentelemetry-instrumentation-chromadb: the canonical events carry a distance, not a score.
        var span = new Span { Name = "chroma.query" };
        span.Events.Add(Event("db.query.result", ("db.query.result.id", "1"), ("db.query.result.distance", 0.3), ("db.query.result.document", "text")));
        span.Events.Add(Event("db.query.result", ("db.query.result.id", "2"), ("db.query.result.distance", 0.5)));
        span.Events.Add(Event("db.query.result", ("db.query.result.id", "3"), ("db.query.result.distance", 0.6)));

        var decoded = Decode(span, [("db.system", "chroma")]);

        Assert.Equal(3, decoded.RetrievalDocuments);
        Assert.Null(decoded.RetrievalTopScore);
    }

    [Fact]
    public void OpenLLMetry_milvus_search_result_events_count_too()
    {
        var span = new Span { Name = "milvus.search" };
        span.Events.Add(Event("db.search.result", ("db.search.result.id", 1L), ("db.search.result.score", 0.4)));

        var decoded = Decode(span, [("db.system", "milvus")]);

        Assert.Equal((1, 0.4), (decoded.RetrievalDocuments, decoded.RetrievalTopScore));
    }

    [Fact]
    public void An_OpenLLMetry_vector_query_without_result_events_is_a_retrieval_of_unknown_size()
    {
        // opentelemetry-instrumentation-qdrant records the limit but no results: not an empty retrieval.
        var span = Decode("qdrant.query_points", ("db.system", "qdrant"), ("db.vector.query.top_k", 5L), ("qdrant.query_points.collection_name", "docs"));

        Assert.Equal(SpanOperation.Retrieval, span.Operation);
        Assert.Null(span.RetrievalDocuments);
    }

    // ------------------------------------------------------------ LangSmith

    [Fact]
    public void A_LangSmith_retriever_run_counts_the_documents_of_its_output()
    {
        var span = Decode("VectorStoreRetriever",
            ("langsmith.span.kind", "retriever"),
            ("gen_ai.operation.name", "embeddings"),
            ("gen_ai.completion", """{"documents": [{"page_content": "a", "metadata": {"score": 9}, "type": "Document"}, {"page_content": "b", "metadata": {}, "type": "Document"}]}"""));

        Assert.Equal(SpanOperation.Retrieval, span.Operation);
        Assert.Equal(2, span.RetrievalDocuments);
        Assert.Null(span.RetrievalTopScore); // a score inside metadata is not the document's score
    }

    [Fact]
    public void A_LangSmith_retriever_run_that_found_nothing_is_an_empty_retrieval_and_other_runs_are_not_read()
    {
        var empty = Decode("VectorStoreRetriever",
            ("langsmith.span.kind", "retriever"),
            ("gen_ai.completion", """{"documents": []}"""));
        var llm = Decode("ChatOpenAI",
            ("langsmith.span.kind", "llm"),
            ("gen_ai.completion", """{"documents": [{"page_content": "a"}]}"""));

        Assert.Equal(0, empty.RetrievalDocuments);
        Assert.Null(llm.RetrievalDocuments);
    }

    // ------------------------------------------------------------ hot path

    [Fact]
    public void Decoding_retrieval_spans_in_steady_state_allocates_nothing()
    {
        var request = RetrievalRequest();
        var batch = new SpanBatch(16);

        Assert.Equal(0, SteadyStateDecode.AllocatedBytes(request, batch));
        Assert.Equal([3, 2, 0], batch.ToArray().Select(s => s.RetrievalDocuments ?? -1).Take(3));
    }

    private static ExportTraceServiceRequest RetrievalRequest()
    {
        var openInference = new Span { Name = "retrieve", TraceId = ByteString.CopyFrom(new byte[16]), SpanId = ByteString.CopyFrom(new byte[8]) };
        openInference.Attributes.Add(Kv("openinference.span.kind", "RETRIEVER"));
        for (var i = 0; i < 3; i++)
        {
            openInference.Attributes.Add(Kv($"retrieval.documents.{i}.document.content", "some \"escaped\" content\n"));
            openInference.Attributes.Add(new KeyValue { Key = $"retrieval.documents.{i}.document.score", Value = new AnyValue { DoubleValue = 0.5 + i } });
        }

        var otel = new Span { Name = "retrieval kb", TraceId = openInference.TraceId, SpanId = openInference.SpanId };
        otel.Attributes.Add(Kv("gen_ai.operation.name", "retrieval"));
        otel.Attributes.Add(Kv("gen_ai.retrieval.documents", """[{"id": "a", "score": 0.9}, {"id": "b", "score": 0.1}]"""));

        var pinecone = new Span { Name = "pinecone.query", TraceId = openInference.TraceId, SpanId = openInference.SpanId };
        pinecone.Attributes.Add(Kv("gen_ai.operation.name", "retrieval"));
        pinecone.Attributes.Add(Kv("gen_ai.retrieval.documents", "[]"));

        var request = new ExportTraceServiceRequest();
        var resourceSpans = new OpenTelemetry.Proto.Trace.V1.ResourceSpans { Resource = new OpenTelemetry.Proto.Resource.V1.Resource() };
        resourceSpans.ScopeSpans.Add(new ScopeSpans { Spans = { openInference, otel, pinecone } });
        request.ResourceSpans.Add(resourceSpans);
        return request;

        static KeyValue Kv(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };
    }
}
