using AgentSentinel.Tests.Shared;

namespace AgentSentinel.Otlp.Tests.Support;

/// <summary>The shared stream fixture: the same 21 Kafka record values as OTLP/JSON lines and as protobuf files.</summary>
internal static class StreamRecords
{
    private static readonly Lazy<byte[][]> JsonLines = new(LoadJson);
    private static readonly Lazy<byte[][]> ProtoFiles = new(LoadProto);

    public static IReadOnlyList<byte[]> Json => JsonLines.Value;

    public static IReadOnlyList<byte[]> Proto => ProtoFiles.Value;

    public static string FixturePath(params string[] parts) => Path.Combine([SharedData.GenAiSpans, .. parts]);

    private static byte[][] LoadJson()
    {
        var path = Path.Combine(SharedData.Stream, "all.otlp.jsonl");
        return File.ReadAllLines(path)
            .Where(line => line.Length > 0)
            .Select(System.Text.Encoding.UTF8.GetBytes)
            .ToArray();
    }

    private static byte[][] LoadProto()
    {
        var folder = Path.Combine(SharedData.Stream, "otlp_proto");
        return Directory.GetFiles(folder, "*.pb")
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(File.ReadAllBytes)
            .ToArray();
    }
}
