using System.Globalization;
using System.Text.Json;

namespace AgentSentinel.Evaluation.Nab;

/// <summary>One labelled anomaly window of a NAB data file: the first and last timestamp, both inclusive.</summary>
/// <param name="Start">The window's first timestamp.</param>
/// <param name="End">The window's last timestamp.</param>
public readonly record struct NabWindow(DateTime Start, DateTime End);

/// <summary>One NAB data file: its rows (timestamp, value) in file order and its labelled windows.</summary>
public sealed class NabDataFile
{
    /// <summary>Creates a data file; the arrays are owned by the new instance.</summary>
    public NabDataFile(string relativePath, DateTime[] timestamps, double[] values, NabWindow[] windows)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        ArgumentNullException.ThrowIfNull(timestamps);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(windows);
        if (timestamps.Length != values.Length)
        {
            throw new ArgumentException($"{relativePath}: {timestamps.Length} timestamps but {values.Length} values", nameof(values));
        }

        RelativePath = relativePath;
        Timestamps = timestamps;
        Values = values;
        Windows = windows;
    }

    /// <summary>The path below <c>data/</c> with forward slashes, e.g. <c>realKnownCause/nyc_taxi.csv</c>: NAB's key for the file.</summary>
    public string RelativePath { get; }

    /// <summary>The rows' timestamps in file order (NAB files may repeat a timestamp or, once, step back).</summary>
    public IReadOnlyList<DateTime> Timestamps { get; }

    /// <summary>The rows' values in file order.</summary>
    public IReadOnlyList<double> Values { get; }

    /// <summary>The labelled windows in label-file order.</summary>
    public IReadOnlyList<NabWindow> Windows { get; }

    /// <summary>The number of rows.</summary>
    public int Count => Values.Count;
}

/// <summary>A NAB scoring profile: the weights of a true positive, a false negative and a false positive.</summary>
/// <param name="Name">The profile's name in <c>config/profiles.json</c>, e.g. <c>standard</c>.</param>
/// <param name="TpWeight">A_TP: the reward of a window detected at its very start.</param>
/// <param name="FnWeight">A_FN: the cost of a window with no detection.</param>
/// <param name="FpWeight">A_FP: the cost of a detection outside every window, far from the last one.</param>
public sealed record NabProfile(string Name, double TpWeight, double FnWeight, double FpWeight)
{
    /// <summary>NAB's three profiles, in the order reports list them.</summary>
    public static IReadOnlyList<NabProfile> Defaults { get; } =
    [
        new("standard", 1.0, 1.0, 0.11),
        new("reward_low_FP_rate", 1.0, 1.0, 0.22),
        new("reward_low_FN_rate", 1.0, 2.0, 0.11),
    ];
}

/// <summary>
/// The NAB corpus as laid out in numenta/NAB: <c>data/&lt;category&gt;/&lt;name&gt;.csv</c> (timestamp,value),
/// <c>labels/combined_windows.json</c> and <c>config/profiles.json</c>.
/// </summary>
public sealed class NabCorpus
{
    private static readonly string[] TimestampFormats = ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.ffffff", "yyyy-MM-dd HH:mm:ss.fff", "yyyy-MM-dd HH:mm"];

    private NabCorpus(string root, IReadOnlyList<NabDataFile> files, IReadOnlyList<NabProfile> profiles)
    {
        Root = root;
        Files = files;
        Profiles = profiles;
        WindowCount = files.Sum(f => f.Windows.Count);
    }

    /// <summary>The corpus folder.</summary>
    public string Root { get; }

    /// <summary>The data files that have an entry in the labels, ordered by relative path (ordinal).</summary>
    public IReadOnlyList<NabDataFile> Files { get; }

    /// <summary>The scoring profiles.</summary>
    public IReadOnlyList<NabProfile> Profiles { get; }

    /// <summary>The number of labelled windows over all files (NAB's "perfect" detector scores this many A_TP).</summary>
    public int WindowCount { get; }

    /// <summary>The number of rows over all files.</summary>
    public long RowCount => Files.Sum(f => (long)f.Count);

    /// <summary>Loads the corpus below <paramref name="root"/>. Every labelled file must exist and every window bound must be a row's timestamp.</summary>
    public static NabCorpus Load(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"NAB data folder not found: {root}");
        }

        var labelsPath = Path.Combine(root, "labels", "combined_windows.json");
        var labels = ReadWindows(labelsPath);
        var profilesPath = Path.Combine(root, "config", "profiles.json");
        var profiles = File.Exists(profilesPath) ? ReadProfiles(profilesPath) : NabProfile.Defaults;
        var files = new List<NabDataFile>(labels.Count);
        foreach (var (relativePath, windows) in labels.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var path = Path.Combine(root, "data", relativePath.Replace('/', Path.DirectorySeparatorChar));
            var (timestamps, values) = ReadDataFile(path);
            var present = new HashSet<DateTime>(timestamps);
            foreach (var window in windows)
            {
                if (!present.Contains(window.Start) || !present.Contains(window.End) || window.End < window.Start)
                {
                    throw new InvalidDataException($"{labelsPath}: window [{window.Start:O}, {window.End:O}] of {relativePath} does not start and end on rows of the file");
                }
            }

            files.Add(new NabDataFile(relativePath, timestamps, values, windows));
        }

        return new NabCorpus(root, files, profiles);
    }

    /// <summary>Reads a CSV with a header naming <c>timestamp</c> and <paramref name="valueColumn"/>; errors name the file and line.</summary>
    public static (DateTime[] Timestamps, double[] Values) ReadDataFile(string path, string valueColumn = "value")
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"NAB file not found: {path}", path);
        }

        using var reader = new StreamReader(path);
        var header = reader.ReadLine() ?? throw new InvalidDataException($"{path}:1: empty file");
        var columns = header.Split(',');
        var timeIndex = Array.IndexOf(columns, "timestamp");
        var valueIndex = Array.IndexOf(columns, valueColumn);
        if (timeIndex < 0 || valueIndex < 0)
        {
            throw new InvalidDataException($"{path}:1: header must name the columns 'timestamp' and '{valueColumn}'");
        }

        var timestamps = new List<DateTime>();
        var values = new List<double>();
        var lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            var fields = line.Split(',');
            if (fields.Length <= Math.Max(timeIndex, valueIndex)
                || !TryParseTimestamp(fields[timeIndex], out var timestamp)
                || !double.TryParse(fields[valueIndex], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                throw new InvalidDataException($"{path}:{lineNumber}: expected '<timestamp>,...' with a numeric {valueColumn}, got '{line}'");
            }

            timestamps.Add(timestamp);
            values.Add(value);
        }

        return (timestamps.ToArray(), values.ToArray());
    }

    /// <summary>Parses NAB's timestamp forms (<c>2014-04-10 07:15:00</c>, with or without fractional seconds).</summary>
    public static bool TryParseTimestamp(string text, out DateTime timestamp) =>
        DateTime.TryParseExact(text, TimestampFormats, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out timestamp);

    /// <summary>Reads <c>combined_windows.json</c>: file path → list of [start, end].</summary>
    public static Dictionary<string, NabWindow[]> ReadWindows(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var result = new Dictionary<string, NabWindow[]>(StringComparer.Ordinal);
        foreach (var file in document.RootElement.EnumerateObject())
        {
            var windows = new List<NabWindow>();
            foreach (var pair in file.Value.EnumerateArray())
            {
                if (pair.GetArrayLength() != 2
                    || !TryParseTimestamp(pair[0].GetString() ?? string.Empty, out var start)
                    || !TryParseTimestamp(pair[1].GetString() ?? string.Empty, out var end))
                {
                    throw new InvalidDataException($"{path}: '{file.Name}' has a window that is not [start, end] timestamps: {pair.GetRawText()}");
                }

                windows.Add(new NabWindow(start, end));
            }

            result[file.Name] = [.. windows];
        }

        return result;
    }

    /// <summary>Reads <c>config/profiles.json</c>; the three NAB profiles come first, in NAB's order, then any others by name.</summary>
    public static IReadOnlyList<NabProfile> ReadProfiles(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var profiles = new List<NabProfile>();
        foreach (var profile in document.RootElement.EnumerateObject())
        {
            if (!profile.Value.TryGetProperty("CostMatrix", out var matrix))
            {
                throw new InvalidDataException($"{path}: profile '{profile.Name}' has no CostMatrix");
            }

            profiles.Add(new NabProfile(profile.Name, Weight(matrix, "tpWeight"), Weight(matrix, "fnWeight"), Weight(matrix, "fpWeight")));
        }

        var order = NabProfile.Defaults.Select(p => p.Name).ToList();
        return [.. profiles.OrderBy(p => order.IndexOf(p.Name) is var i && i >= 0 ? i : int.MaxValue).ThenBy(p => p.Name, StringComparer.Ordinal)];

        double Weight(JsonElement matrix, string key) =>
            matrix.TryGetProperty(key, out var value) && value.TryGetDouble(out var weight)
                ? weight
                : throw new InvalidDataException($"{path}: profile CostMatrix needs a numeric '{key}'");
    }
}
