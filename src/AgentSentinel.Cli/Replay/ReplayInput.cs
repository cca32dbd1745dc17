using AgentSentinel.Cli.CommandLine;

namespace AgentSentinel.Cli.Replay;

/// <summary>One Kafka record value read from disk, with where it came from.</summary>
internal readonly record struct ReplayRecord(byte[] Value, string Origin);

/// <summary>
/// Reads Kafka record values from disk, in a stable order: a directory of <c>*.pb</c> files (ordinal name order),
/// a <c>.jsonl</c> file (one OTLP/JSON record per non-empty line), or any other single file as one record.
/// </summary>
internal static class ReplayInput
{
    public static IEnumerable<ReplayRecord> Read(string path)
    {
        if (Directory.Exists(path))
        {
            var files = Directory.GetFiles(path, "*.pb");
            if (files.Length == 0)
            {
                throw new UsageException($"--input {path}: the directory holds no *.pb files");
            }

            Array.Sort(files, StringComparer.Ordinal);
            return files.Select(f => new ReplayRecord(File.ReadAllBytes(f), Path.GetFileName(f)));
        }

        if (!File.Exists(path))
        {
            throw new UsageException($"--input {path}: no such file or directory");
        }

        return path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)
            ? ReadLines(path)
            : [new ReplayRecord(File.ReadAllBytes(path), Path.GetFileName(path))];
    }

    private static IEnumerable<ReplayRecord> ReadLines(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var line = 0;
        var start = 0;
        while (start < bytes.Length)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0)
            {
                end = bytes.Length;
            }

            line++;
            var length = end - start;
            if (length > 0 && bytes[end - 1] == (byte)'\r')
            {
                length--;
            }

            if (!bytes.AsSpan(start, length).Trim(" \t"u8).IsEmpty)
            {
                yield return new ReplayRecord(bytes.AsSpan(start, length).ToArray(), $"{Path.GetFileName(path)}:{line}");
            }

            start = end + 1;
        }
    }
}
