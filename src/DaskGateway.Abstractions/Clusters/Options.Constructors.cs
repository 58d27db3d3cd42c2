using DaskGateway.Auth;

namespace DaskGateway.Clusters;

// The fixed-arity constructors exist so that a handler can follow the fields as a named
// argument, as in upstream: new Options(Option.Integer(...), Option.Float(...), handler: ...).
// C# allows nothing after a params array.
public sealed partial class Options
{
    /// <summary>Options with 1 field and a handler given the options and the requesting user.</summary>
    public Options(OptionField field1, Func<OptionValues, User, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1], handler)
    {
    }

    /// <summary>Options with 2 fields and a handler given the options and the requesting user.</summary>
    public Options(OptionField field1, OptionField field2, Func<OptionValues, User, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1, field2], handler)
    {
    }

    /// <summary>Options with 3 fields and a handler given the options and the requesting user.</summary>
    public Options(OptionField field1, OptionField field2, OptionField field3, Func<OptionValues, User, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1, field2, field3], handler)
    {
    }

    /// <summary>Options with 4 fields and a handler given the options and the requesting user.</summary>
    public Options(OptionField field1, OptionField field2, OptionField field3, OptionField field4, Func<OptionValues, User, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1, field2, field3, field4], handler)
    {
    }

    /// <summary>Options with 5 fields and a handler given the options and the requesting user.</summary>
    public Options(OptionField field1, OptionField field2, OptionField field3, OptionField field4, OptionField field5, Func<OptionValues, User, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1, field2, field3, field4, field5], handler)
    {
    }

    /// <summary>Options with 6 fields and a handler given the options and the requesting user.</summary>
    public Options(OptionField field1, OptionField field2, OptionField field3, OptionField field4, OptionField field5, OptionField field6, Func<OptionValues, User, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1, field2, field3, field4, field5, field6], handler)
    {
    }

    /// <summary>Options with 7 fields and a handler given the options and the requesting user.</summary>
    public Options(OptionField field1, OptionField field2, OptionField field3, OptionField field4, OptionField field5, OptionField field6, OptionField field7, Func<OptionValues, User, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1, field2, field3, field4, field5, field6, field7], handler)
    {
    }

    /// <summary>Options with 8 fields and a handler given the options and the requesting user.</summary>
    public Options(OptionField field1, OptionField field2, OptionField field3, OptionField field4, OptionField field5, OptionField field6, OptionField field7, OptionField field8, Func<OptionValues, User, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1, field2, field3, field4, field5, field6, field7, field8], handler)
    {
    }

    /// <summary>Options with 9 fields and a handler given the options and the requesting user.</summary>
    public Options(OptionField field1, OptionField field2, OptionField field3, OptionField field4, OptionField field5, OptionField field6, OptionField field7, OptionField field8, OptionField field9, Func<OptionValues, User, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1, field2, field3, field4, field5, field6, field7, field8, field9], handler)
    {
    }

    /// <summary>Options with 10 fields and a handler given the options and the requesting user.</summary>
    public Options(OptionField field1, OptionField field2, OptionField field3, OptionField field4, OptionField field5, OptionField field6, OptionField field7, OptionField field8, OptionField field9, OptionField field10, Func<OptionValues, User, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1, field2, field3, field4, field5, field6, field7, field8, field9, field10], handler)
    {
    }

    /// <summary>Options with 11 fields and a handler given the options and the requesting user.</summary>
    public Options(OptionField field1, OptionField field2, OptionField field3, OptionField field4, OptionField field5, OptionField field6, OptionField field7, OptionField field8, OptionField field9, OptionField field10, OptionField field11, Func<OptionValues, User, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1, field2, field3, field4, field5, field6, field7, field8, field9, field10, field11], handler)
    {
    }

    /// <summary>Options with 12 fields and a handler given the options and the requesting user.</summary>
    public Options(OptionField field1, OptionField field2, OptionField field3, OptionField field4, OptionField field5, OptionField field6, OptionField field7, OptionField field8, OptionField field9, OptionField field10, OptionField field11, OptionField field12, Func<OptionValues, User, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1, field2, field3, field4, field5, field6, field7, field8, field9, field10, field11, field12], handler)
    {
    }

    /// <summary>Options with 1 field and a handler given the options.</summary>
    public Options(OptionField field1, Func<OptionValues, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1], handler)
    {
    }

    /// <summary>Options with 2 fields and a handler given the options.</summary>
    public Options(OptionField field1, OptionField field2, Func<OptionValues, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1, field2], handler)
    {
    }

    /// <summary>Options with 3 fields and a handler given the options.</summary>
    public Options(OptionField field1, OptionField field2, OptionField field3, Func<OptionValues, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1, field2, field3], handler)
    {
    }

    /// <summary>Options with 4 fields and a handler given the options.</summary>
    public Options(OptionField field1, OptionField field2, OptionField field3, OptionField field4, Func<OptionValues, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1, field2, field3, field4], handler)
    {
    }

    /// <summary>Options with 5 fields and a handler given the options.</summary>
    public Options(OptionField field1, OptionField field2, OptionField field3, OptionField field4, OptionField field5, Func<OptionValues, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1, field2, field3, field4, field5], handler)
    {
    }

    /// <summary>Options with 6 fields and a handler given the options.</summary>
    public Options(OptionField field1, OptionField field2, OptionField field3, OptionField field4, OptionField field5, OptionField field6, Func<OptionValues, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1, field2, field3, field4, field5, field6], handler)
    {
    }

    /// <summary>Options with 7 fields and a handler given the options.</summary>
    public Options(OptionField field1, OptionField field2, OptionField field3, OptionField field4, OptionField field5, OptionField field6, OptionField field7, Func<OptionValues, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1, field2, field3, field4, field5, field6, field7], handler)
    {
    }

    /// <summary>Options with 8 fields and a handler given the options.</summary>
    public Options(OptionField field1, OptionField field2, OptionField field3, OptionField field4, OptionField field5, OptionField field6, OptionField field7, OptionField field8, Func<OptionValues, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1, field2, field3, field4, field5, field6, field7, field8], handler)
    {
    }

    /// <summary>Options with 9 fields and a handler given the options.</summary>
    public Options(OptionField field1, OptionField field2, OptionField field3, OptionField field4, OptionField field5, OptionField field6, OptionField field7, OptionField field8, OptionField field9, Func<OptionValues, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1, field2, field3, field4, field5, field6, field7, field8, field9], handler)
    {
    }

    /// <summary>Options with 10 fields and a handler given the options.</summary>
    public Options(OptionField field1, OptionField field2, OptionField field3, OptionField field4, OptionField field5, OptionField field6, OptionField field7, OptionField field8, OptionField field9, OptionField field10, Func<OptionValues, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1, field2, field3, field4, field5, field6, field7, field8, field9, field10], handler)
    {
    }

    /// <summary>Options with 11 fields and a handler given the options.</summary>
    public Options(OptionField field1, OptionField field2, OptionField field3, OptionField field4, OptionField field5, OptionField field6, OptionField field7, OptionField field8, OptionField field9, OptionField field10, OptionField field11, Func<OptionValues, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1, field2, field3, field4, field5, field6, field7, field8, field9, field10, field11], handler)
    {
    }

    /// <summary>Options with 12 fields and a handler given the options.</summary>
    public Options(OptionField field1, OptionField field2, OptionField field3, OptionField field4, OptionField field5, OptionField field6, OptionField field7, OptionField field8, OptionField field9, OptionField field10, OptionField field11, OptionField field12, Func<OptionValues, IReadOnlyDictionary<string, object?>>? handler)
        : this([field1, field2, field3, field4, field5, field6, field7, field8, field9, field10, field11, field12], handler)
    {
    }
}
