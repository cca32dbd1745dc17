using AgentSentinel.Core.Anomalies;
using AgentSentinel.Core.Spans;
using AgentSentinel.Core.Traces;
using AgentSentinel.Detection.Detectors.Silence;
using AgentSentinel.Detection.Features;

namespace AgentSentinel.Detection.Tests.Detectors.Silence;

/// <summary>
/// Event-time simulation of one agent's arrivals and the pipeline's watermark: arrivals from a (possibly time-varying)
/// Poisson rate by thinning, with a fixed seed; the watermark advances in fixed steps between arrivals, as the
/// throttled fan-out would deliver it.
/// </summary>
internal static class SilenceSimulation
{
    public const long Second = 1_000_000_000L;
    public const long Minute = 60 * Second;
    public const long Hour = 60 * Minute;
    public const long Day = 24 * Hour;

    /// <summary>Midnight UTC (2023-11-14T00:00:00Z), so that hours of the day line up with the detector's profile.</summary>
    public const long T0 = 1_699_920_000L * Second;

    /// <summary>Arrival times over [from, to) of a Poisson process with rate <paramref name="perHour"/>(t) ≤ <paramref name="maxPerHour"/>.</summary>
    public static List<long> Poisson(long from, long to, Func<long, double> perHour, double maxPerHour, int seed)
    {
        var random = new Random(seed);
        var arrivals = new List<long>();
        var t = (double)from;
        var meanGapNs = Hour / maxPerHour;
        while (true)
        {
            t += -Math.Log(1 - random.NextDouble()) * meanGapNs;
            if (t >= to)
            {
                return arrivals;
            }

            if (random.NextDouble() * maxPerHour < perHour((long)t))
            {
                arrivals.Add((long)t);
            }
        }
    }

    /// <summary>Day/night cycle: <paramref name="meanPerHour"/> × (1 + <paramref name="amplitude"/>·sin), peak at 18:00 UTC.</summary>
    public static Func<long, double> Diurnal(double meanPerHour, double amplitude) =>
        t => meanPerHour * (1 + (amplitude * Math.Sin(2 * Math.PI * (((t - T0) % Day) / (double)Day - 0.25 - 0.25))));

    public static AgentTrace TraceAt(long completedAt, int n) =>
        new("a", new TraceId(0x5111_0000_0000_0000UL | (uint)n, (ulong)n * 7919), [], true, completedAt);

    /// <summary>
    /// Feeds the arrivals in order and advances the watermark every <paramref name="step"/> up to <paramref name="until"/>;
    /// the watermark at an arrival is told after the arrival (as the pipeline releases a step's traces before its watermark).
    /// </summary>
    public static List<Anomaly> Run(SilenceDetector detector, IReadOnlyList<long> arrivals, long until, long step = 10 * Second, int firstTrace = 0)
    {
        var anomalies = new List<Anomaly>();
        var watermark = arrivals.Count > 0 ? arrivals[0] : until;
        var n = firstTrace;
        foreach (var arrival in arrivals)
        {
            while (watermark + step <= arrival)
            {
                watermark += step;
                if (detector.OnWatermark("a", watermark) is { } a)
                {
                    anomalies.Add(a);
                }
            }

            detector.Observe(TraceAt(arrival, n++), default(TraceFeatures));
        }

        while (watermark + step <= until)
        {
            watermark += step;
            if (detector.OnWatermark("a", watermark) is { } a)
            {
                anomalies.Add(a);
            }
        }

        return anomalies;
    }
}
