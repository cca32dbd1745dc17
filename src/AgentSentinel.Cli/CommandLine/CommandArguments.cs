using System.Globalization;

namespace AgentSentinel.Cli.CommandLine;

/// <summary>A usage error: the message is shown with the command's help, and the process exits with 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The options of one command: <c>--name value</c>, <c>--name=value</c>, and bare <c>--flag</c>s declared as such.
/// Unknown options are an error that names them, so that a typo never silently falls back to a default.
/// </summary>
internal sealed class CommandArguments
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);

    private CommandArguments()
    {
    }

    public static CommandArguments Parse(IReadOnlyList<string> args, IReadOnlyCollection<string> valueOptions, IReadOnlyCollection<string> flagOptions)
    {
        var parsed = new CommandArguments();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                throw new UsageException($"unexpected argument '{arg}'");
            }

            var name = arg[2..];
            string? value = null;
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }

            if (flagOptions.Contains(name))
            {
                if (value is not null)
                {
                    throw new UsageException($"--{name} takes no value");
                }
            }
            else if (valueOptions.Contains(name))
            {
                if (value is null)
                {
                    if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    {
                        throw new UsageException($"--{name} needs a value");
                    }

                    value = args[++i];
                }
            }
            else
            {
                throw new UsageException($"unknown option --{name}");
            }

            if (!parsed._values.TryAdd(name, value))
            {
                throw new UsageException($"--{name} given twice");
            }
        }

        return parsed;
    }

    public bool Has(string name) => _values.ContainsKey(name);

    public string? Get(string name) => _values.GetValueOrDefault(name);

    public string Required(string name) =>
        Get(name) is { Length: > 0 } value ? value : throw new UsageException($"--{name} is required");

    public int GetInt(string name, int defaultValue, int min, int max)
    {
        if (Get(name) is not { } text)
        {
            return defaultValue;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new UsageException($"--{name} must be an integer between {min} and {max}, not '{text}'");
    }

    /// <summary>Accepts <c>90</c> (seconds), <c>90s</c>, <c>2m</c>, <c>1h</c> or <c>hh:mm:ss</c>.</summary>
    public TimeSpan GetDuration(string name, TimeSpan defaultValue, TimeSpan min, TimeSpan max)
    {
        if (Get(name) is not { } text)
        {
            return defaultValue;
        }

        if (!TryParseDuration(text, out var value) || value < min || value > max)
        {
            throw new UsageException($"--{name} must be a duration between {min} and {max} (e.g. 90s, 2m), not '{text}'");
        }

        return value;
    }

    internal static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = default;
        if (text.Length == 0)
        {
            return false;
        }

        var unit = char.ToLowerInvariant(text[^1]);
        var scale = unit switch { 's' => 1.0, 'm' => 60.0, 'h' => 3600.0, _ => 0.0 };
        var number = scale > 0 ? text[..^1] : text;
        if (scale == 0 && text.Contains(':', StringComparison.Ordinal))
        {
            return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value);
        }

        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || amount < 0 || double.IsInfinity(amount))
        {
            return false;
        }

        value = TimeSpan.FromSeconds(amount * (scale > 0 ? scale : 1.0));
        return true;
    }
}
