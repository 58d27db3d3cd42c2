using System.Globalization;

namespace DaskGateway.Json;

/// <summary>
/// An integer literal with more than <see cref="JsonValues.MaxIntegerDigits"/> digits; the
/// message names where in the document it is (<c>cluster_options.worker_cores</c>, <c>a[2]</c>).
/// </summary>
internal sealed class JsonNumberTooLongException : Exception
{
    public JsonNumberTooLongException()
        : this("An integer value has too many digits")
    {
    }

    public JsonNumberTooLongException(string message)
        : base(message)
    {
    }

    public JsonNumberTooLongException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public JsonNumberTooLongException(int digits, string path = "")
        : base(string.Create(
            CultureInfo.InvariantCulture,
            $"Integer value {(path.Length == 0 ? "" : $"of '{path}' ")}has {digits} digits; at most {JsonValues.MaxIntegerDigits} are accepted"))
    {
        Digits = digits;
        Path = path;
    }

    /// <summary>The literal's digits.</summary>
    public int Digits { get; }

    /// <summary>Where the literal is, from the document's root; empty for a literal at the root.</summary>
    public string Path { get; } = "";

    /// <summary>The same problem, one level further out: inside the property <paramref name="name"/>.</summary>
    public JsonNumberTooLongException Inside(string name) =>
        new(Digits, Path.Length == 0 || Path.StartsWith('[') ? name + Path : name + "." + Path);

    /// <summary>The same problem, one level further out: at <paramref name="index"/> of an array.</summary>
    public JsonNumberTooLongException Inside(int index) =>
        new(Digits, string.Create(CultureInfo.InvariantCulture, $"[{index}]") + (Path.Length == 0 || Path.StartsWith('[') ? Path : "." + Path));
}
