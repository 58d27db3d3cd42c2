using System.Globalization;

namespace DaskGateway.Configuration;

/// <summary>
/// An amount of memory in bytes. Settings of this type accept a number of bytes or upstream's
/// strings: a number followed by one of <c>K M G T</c> (binary multiples, optionally separated
/// by spaces), such as <c>"2 G"</c>, <c>"1.5G"</c> or <c>"512M"</c>.
/// </summary>
public readonly record struct MemorySize(long Bytes) : IComparable<MemorySize>
{
    /// <summary>Creates a size of <paramref name="gibibytes"/> GiB.</summary>
    public static MemorySize FromGiB(double gibibytes) => new(checked((long)(gibibytes * (1L << 30))));

    /// <summary>Creates a size of <paramref name="mebibytes"/> MiB.</summary>
    public static MemorySize FromMiB(double mebibytes) => new(checked((long)(mebibytes * (1L << 20))));

    /// <summary>Parses upstream's memory strings; see the type's summary.</summary>
    /// <exception cref="FormatException">The text is not a memory size.</exception>
    public static MemorySize Parse(string text)
    {
        if (TryParse(text, out var size, out var error))
        {
            return size;
        }

        throw new FormatException(error);
    }

    /// <summary>Parses upstream's memory strings; <paramref name="error"/> says why it failed.</summary>
    public static bool TryParse(string? text, out MemorySize size, out string error)
    {
        size = default;
        var trimmed = (text ?? "").Trim();
        if (trimmed.Length == 0)
        {
            error = "an empty string is not a memory size";
            return false;
        }

        var shift = trimmed[^1] switch
        {
            'K' => 10,
            'M' => 20,
            'G' => 30,
            'T' => 40,
            _ => -1,
        };
        if (shift < 0)
        {
            error = $"'{text}' is not a memory size: use bytes as a number, or a number followed by K, M, G or T (e.g. '2 G', '1.5G', '512M')";
            return false;
        }

        var number = trimmed[..^1].Trim();
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            || double.IsNaN(value) || double.IsInfinity(value))
        {
            error = $"'{text}' is not a memory size: '{number}' is not a number";
            return false;
        }

        var bytes = value * Math.Pow(2, shift);
        if (bytes < 0 || bytes >= long.MaxValue)
        {
            error = $"'{text}' is out of range for a memory size";
            return false;
        }

        size = new MemorySize((long)bytes);
        error = "";
        return true;
    }

    /// <summary>Formats as upstream does in messages: <c>2.00 GiB</c>, <c>512.00 MiB</c>, <c>100 B</c>.</summary>
    public override string ToString()
    {
        // Upstream switches unit only when strictly greater than the unit, so 1 GiB prints as "1024.00 MiB".
        ReadOnlySpan<(int Shift, string Unit)> units = [(50, "PiB"), (40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")];
        foreach (var (shift, unit) in units)
        {
            if (Bytes > 1L << shift)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{Bytes / (double)(1L << shift):0.00} {unit}");
            }
        }

        return string.Create(CultureInfo.InvariantCulture, $"{Bytes} B");
    }

    /// <inheritdoc/>
    public int CompareTo(MemorySize other) => Bytes.CompareTo(other.Bytes);

    /// <summary>Compares two sizes.</summary>
    public static bool operator <(MemorySize left, MemorySize right) => left.Bytes < right.Bytes;

    /// <summary>Compares two sizes.</summary>
    public static bool operator >(MemorySize left, MemorySize right) => left.Bytes > right.Bytes;

    /// <summary>Compares two sizes.</summary>
    public static bool operator <=(MemorySize left, MemorySize right) => left.Bytes <= right.Bytes;

    /// <summary>Compares two sizes.</summary>
    public static bool operator >=(MemorySize left, MemorySize right) => left.Bytes >= right.Bytes;

    /// <summary>A number of bytes is a memory size.</summary>
    public static implicit operator MemorySize(long bytes) => new(bytes);
}
