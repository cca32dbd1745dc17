using System.Text;
using AgentSentinel.Core.Spans;

namespace AgentSentinel.Otlp.Normalization;

/// <summary>
/// One convention's closed vocabulary: exact lower-case ASCII words to operations. A word not in it is
/// <see cref="SpanOperation.Other"/> (a convention was present but named something we do not model).
/// Lookup is a length-filtered scan of a few dozen entries: no hashing, no allocation.
/// </summary>
internal sealed class OperationWords
{
    private readonly byte[][] _words;
    private readonly SpanOperation[] _operations;

    public OperationWords(params (string Word, SpanOperation Operation)[] entries)
    {
        _words = [.. entries.Select(e => Encoding.ASCII.GetBytes(e.Word))];
        _operations = [.. entries.Select(e => e.Operation)];
    }

    public SpanOperation Lookup(ReadOnlySpan<byte> word)
    {
        for (var i = 0; i < _words.Length; i++)
        {
            if (_words[i].Length == word.Length && word.SequenceEqual(_words[i]))
            {
                return _operations[i];
            }
        }

        return SpanOperation.Other;
    }
}
