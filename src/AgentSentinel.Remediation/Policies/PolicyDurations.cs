using System.Globalization;
using System.Text;

namespace AgentSentinel.Remediation.Policies;

/// <summary>
/// Durations in policy files: a number and a unit (<c>500ms</c>, <c>90s</c>, <c>5m</c>, <c>1.5h</c>, <c>1d</c>), several in
/// a row (<c>1h30m</c>), or a .NET time span (<c>00:05:00</c>, <c>1.00:00:00</c>). A bare number is refused: its unit
/// would be a guess.
/// </summary>
public static class PolicyDurations
{
    /// <summary>Parses <paramref name="text"/>; false when it is not a duration or is negative or out of range.</summary>
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim();
        if (s.Contains(':', StringComparison.Ordinal))
        {
            return TimeSpan.TryParseExact(s, "c", CultureInfo.InvariantCulture, out duration) && duration >= TimeSpan.Zero;
        }

        var ticks = 0d;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }

            if (i == start || !double.TryParse(s.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            var unitStart = i;
            while (i < s.Length && char.IsAsciiLetterLower(s[i]))
            {
                i++;
            }

            long unit;
            switch (s.AsSpan(unitStart, i - unitStart))
            {
                case "ms":
                    unit = TimeSpan.TicksPerMillisecond;
                    break;
                case "s":
                    unit = TimeSpan.TicksPerSecond;
                    break;
                case "m":
                    unit = TimeSpan.TicksPerMinute;
                    break;
                case "h":
                    unit = TimeSpan.TicksPerHour;
                    break;
                case "d":
                    unit = TimeSpan.TicksPerDay;
                    break;
                default:
                    return false;
            }

            ticks += number * unit;
        }

        if (!double.IsFinite(ticks) || ticks > TimeSpan.MaxValue.Ticks)
        {
            return false;
        }

        duration = TimeSpan.FromTicks((long)Math.Round(ticks));
        return true;
    }

    /// <summary>The shortest form in the policy syntax: <c>1h30m</c>, <c>90s</c> → <c>1m30s</c>, <c>250ms</c>, <c>0s</c>.</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero)
        {
            return duration == TimeSpan.Zero ? "0s" : "-" + Format(duration.Negate());
        }

        var sb = new StringBuilder();
        var rest = duration.Ticks;
        Append(ref rest, TimeSpan.TicksPerDay, "d");
        Append(ref rest, TimeSpan.TicksPerHour, "h");
        Append(ref rest, TimeSpan.TicksPerMinute, "m");
        Append(ref rest, TimeSpan.TicksPerSecond, "s");
        Append(ref rest, TimeSpan.TicksPerMillisecond, "ms");
        if (rest > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{rest * 100}ns");
        }

        return sb.ToString();

        void Append(ref long remaining, long unit, string name)
        {
            if (remaining >= unit)
            {
                sb.Append(CultureInfo.InvariantCulture, $"{remaining / unit}{name}");
                remaining %= unit;
            }
        }
    }
}
