using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace AgentSentinel.Remediation.Policies;

/// <summary>A node of a policy document, the same for YAML and JSON. <see cref="Line"/> is 1-based, 0 when unknown (JSON).</summary>
internal abstract class PolicyNode(int line)
{
    public int Line { get; } = line;

    public abstract string Describe { get; }
}

/// <summary>A mapping, entries in document order (duplicates kept: the binder reports them).</summary>
internal sealed class MapNode(int line, List<MapEntry> entries) : PolicyNode(line)
{
    public List<MapEntry> Entries { get; } = entries;

    public override string Describe => "a mapping";
}

internal sealed record MapEntry(string Key, PolicyNode Value, int Line);

internal sealed class SeqNode(int line, List<PolicyNode> items) : PolicyNode(line)
{
    public List<PolicyNode> Items { get; } = items;

    public override string Describe => "a list";
}

/// <summary>
/// A scalar. <see cref="Text"/> is null for a null value (YAML <c>~</c>, <c>null</c> or nothing; JSON <c>null</c>).
/// <see cref="Quoted"/>: a YAML quoted scalar or a JSON string (never a number, boolean or null).
/// </summary>
internal sealed class ScalarNode(int line, string? text, bool quoted) : PolicyNode(line)
{
    public string? Text { get; } = text;

    public bool Quoted { get; } = quoted;

    public override string Describe => Text is null ? "null" : "'" + Text + "'";
}

/// <summary>Reads YAML (YamlDotNet's event parser) and JSON (System.Text.Json) into <see cref="PolicyNode"/> trees.</summary>
internal static partial class PolicyDocument
{
    private const int MaxDepth = 32;

    /// <summary>The document's root, or null with <paramref name="error"/> (a syntax error with line and column).</summary>
    public static PolicyNode? Read(string text, PolicyFormat format, out string? error) =>
        format == PolicyFormat.Json ? ReadJson(text, out error) : ReadYaml(text, out error);

    private static PolicyNode? ReadYaml(string text, out string? error)
    {
        error = null;
        try
        {
            var parser = new Parser(new StringReader(text));
            parser.Consume<StreamStart>();
            if (parser.TryConsume<StreamEnd>(out _))
            {
                error = "the file is empty";
                return null;
            }

            parser.Consume<DocumentStart>();
            var anchors = new Dictionary<string, PolicyNode>(StringComparer.Ordinal);
            var root = ReadYamlNode(parser, anchors, 0);
            parser.Consume<DocumentEnd>();
            if (!parser.TryConsume<StreamEnd>(out _))
            {
                var line = parser.Current?.Start.Line ?? 0;
                error = $"line {line}: only one YAML document is allowed (found a second one)";
                return null;
            }

            return root;
        }
        catch (YamlException ex)
        {
            error = $"YAML syntax error at line {ex.Start.Line}, column {ex.Start.Column}: {StripMark(ex)}";
            return null;
        }
    }

    private static PolicyNode ReadYamlNode(IParser parser, Dictionary<string, PolicyNode> anchors, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new YamlException(parser.Current!.Start, parser.Current.End, $"nesting deeper than {MaxDepth} levels");
        }

        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            return anchors.TryGetValue(alias.Value.Value, out var target)
                ? target
                : throw new YamlException(alias.Start, alias.End, $"unknown alias *{alias.Value.Value}");
        }

        PolicyNode node;
        AnchorName anchor;
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            anchor = scalar.Anchor;
            var plain = scalar.Style is ScalarStyle.Plain or ScalarStyle.Any;
            var isNull = plain && scalar.Value is "" or "~" or "null" or "Null" or "NULL";
            node = new ScalarNode((int)scalar.Start.Line, isNull ? null : scalar.Value, quoted: !plain);
        }
        else if (parser.TryConsume<SequenceStart>(out var seqStart))
        {
            anchor = seqStart.Anchor;
            var items = new List<PolicyNode>();
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                items.Add(ReadYamlNode(parser, anchors, depth + 1));
            }

            node = new SeqNode((int)seqStart.Start.Line, items);
        }
        else if (parser.TryConsume<MappingStart>(out var mapStart))
        {
            anchor = mapStart.Anchor;
            var entries = new List<MapEntry>();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyEvent = parser.Current!;
                var key = ReadYamlNode(parser, anchors, depth + 1);
                if (key is not ScalarNode { Text: { } keyText })
                {
                    throw new YamlException(keyEvent.Start, keyEvent.End, "mapping keys must be plain strings");
                }

                entries.Add(new MapEntry(keyText, ReadYamlNode(parser, anchors, depth + 1), key.Line));
            }

            node = new MapNode((int)mapStart.Start.Line, entries);
        }
        else
        {
            var current = parser.Current!;
            throw new YamlException(current.Start, current.End, $"unexpected {current.GetType().Name}");
        }

        if (!anchor.IsEmpty)
        {
            anchors[anchor.Value] = node;
        }

        return node;
    }

    private static string StripMark(YamlException ex)
    {
        var message = MarkPrefix().Replace(ex.Message, string.Empty);
        var inner = ex.InnerException is YamlException innerYaml ? MarkPrefix().Replace(innerYaml.Message, string.Empty) : null;
        return inner is null || string.Equals(inner, message, StringComparison.Ordinal) ? message : message + " (" + inner + ")";
    }

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex MarkPrefix();

    private static PolicyNode? ReadJson(string text, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "the file is empty";
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions
            {
                AllowTrailingCommas = true,
                CommentHandling = JsonCommentHandling.Skip,
                MaxDepth = MaxDepth,
            });
            return FromJson(doc.RootElement);
        }
        catch (JsonException ex)
        {
            var line = (ex.LineNumber ?? 0) + 1;
            var column = (ex.BytePositionInLine ?? 0) + 1;
            var message = ex.Message;
            var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            error = $"JSON syntax error at line {line}, column {column}: {(cut > 0 ? message[..cut] : message)}";
            return null;
        }
    }

    private static PolicyNode FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => new MapNode(0, [.. e.EnumerateObject().Select(p => new MapEntry(p.Name, FromJson(p.Value), 0))]),
        JsonValueKind.Array => new SeqNode(0, [.. e.EnumerateArray().Select(FromJson)]),
        JsonValueKind.String => new ScalarNode(0, e.GetString(), quoted: true),
        JsonValueKind.Number => new ScalarNode(0, e.GetRawText(), quoted: false),
        JsonValueKind.True => new ScalarNode(0, "true", quoted: false),
        JsonValueKind.False => new ScalarNode(0, "false", quoted: false),
        _ => new ScalarNode(0, null, quoted: false),
    };

    /// <summary>Formats a number for messages.</summary>
    public static string Num(double value) => value.ToString("0.######", CultureInfo.InvariantCulture);
}
