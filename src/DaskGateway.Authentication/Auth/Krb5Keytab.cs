using System.Runtime.InteropServices;

namespace DaskGateway.Auth;

/// <summary>
/// The few MIT libkrb5 calls the Kerberos authenticator needs: listing the principals of a keytab
/// (never its keys) and copying some of its entries into an in-process <c>MEMORY:</c> keytab, so
/// that GSSAPI accepts tickets only for the gateway's service even when the keytab holds more.
/// </summary>
internal sealed partial class Krb5Keytab : IDisposable
{
    public const string Library = "libkrb5.so.3";
    private const int EndOfKeytab = -1765328202; // KRB5_KT_END

    // krb5_keytab_entry is { magic, principal*, timestamp, vno, keyblock { magic, enctype, length, contents* } }:
    // 48 bytes on 64-bit platforms. More is allocated so that no layout detail can make libkrb5 write past it.
    private const int EntrySize = 256;

    private nint _context;
    private nint _keytab;

    private Krb5Keytab(nint context, nint keytab, string name)
    {
        _context = context;
        _keytab = keytab;
        Name = name;
    }

    /// <summary>The keytab's name for <c>KRB5_KTNAME</c> (<c>MEMORY:…</c>).</summary>
    public string Name { get; }

    /// <summary>The principals with a key in the keytab (one per principal, in keytab order).</summary>
    public static IReadOnlyList<string> ListPrincipals(string keytabName)
    {
        var principals = new List<string>();
        WithContext(context => ForEachEntry(context, keytabName, (principal, _) =>
        {
            if (!principals.Contains(principal, StringComparer.Ordinal))
            {
                principals.Add(principal);
            }
        }));
        return principals;
    }

    /// <summary>
    /// Copies the entries of <paramref name="keytabName"/> whose principal <paramref name="keep"/>
    /// accepts into a new memory keytab, which lives until the returned object is disposed.
    /// </summary>
    public static Krb5Keytab CopyToMemory(string keytabName, Func<string, bool> keep)
    {
        var context = InitContext();
        var name = "MEMORY:dask-gateway-" + Guid.NewGuid().ToString("N");
        nint memory = 0;
        try
        {
            Check(context, Resolve(context, name, out memory), "open " + name);
            ForEachEntry(context, keytabName, (principal, entry) =>
            {
                if (keep(principal))
                {
                    Check(context, AddEntry(context, memory, entry), "copy the key of " + principal);
                }
            });
            return new Krb5Keytab(context, memory, name);
        }
        catch
        {
            new Krb5Keytab(context, memory, name).Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_context == 0)
        {
            return;
        }

        if (_keytab != 0)
        {
            _ = CloseKeytab(_context, _keytab);
            _keytab = 0;
        }

        FreeContext(_context);
        _context = 0;
    }

    private static void WithContext(Action<nint> action)
    {
        var context = InitContext();
        try
        {
            action(context);
        }
        finally
        {
            FreeContext(context);
        }
    }

    private static nint InitContext()
    {
        int code;
        nint context;
        try
        {
            code = InitContext(out context);
        }
        catch (DllNotFoundException e)
        {
            throw new InvalidOperationException($"The Kerberos library {Library} is not installed (Debian: apt-get install libkrb5-3 libgssapi-krb5-2)", e);
        }

        if (code != 0)
        {
            throw new InvalidOperationException($"Kerberos could not be initialised (error {code}); check KRB5_CONFIG or /etc/krb5.conf");
        }

        return context;
    }

    private static unsafe void ForEachEntry(nint context, string keytabName, Action<string, nint> onEntry)
    {
        Check(context, Resolve(context, keytabName, out var keytab), "open the keytab " + keytabName);
        var entry = (nint)NativeMemory.AllocZeroed(EntrySize);
        nint cursor = 0;
        try
        {
            Check(context, StartSequence(context, keytab, ref cursor), "read the keytab " + keytabName);
            try
            {
                while (true)
                {
                    var code = NextEntry(context, keytab, entry, ref cursor);
                    if (code == EndOfKeytab)
                    {
                        break;
                    }

                    Check(context, code, "read the keytab " + keytabName);
                    try
                    {
                        onEntry(UnparsePrincipal(context, Marshal.ReadIntPtr(entry, IntPtr.Size)), entry);
                    }
                    finally
                    {
                        _ = FreeEntryContents(context, entry);
                    }
                }
            }
            finally
            {
                _ = EndSequence(context, keytab, ref cursor);
            }
        }
        finally
        {
            NativeMemory.Free((void*)entry);
            _ = CloseKeytab(context, keytab);
        }
    }

    private static string UnparsePrincipal(nint context, nint principal)
    {
        Check(context, UnparseName(context, principal, out var text), "read a principal name");
        try
        {
            return Marshal.PtrToStringUTF8(text) ?? "";
        }
        finally
        {
            FreeUnparsedName(context, text);
        }
    }

    private static void Check(nint context, int code, string what)
    {
        if (code == 0)
        {
            return;
        }

        var message = GetErrorMessage(context, code);
        try
        {
            throw new InvalidOperationException($"Kerberos could not {what}: {Marshal.PtrToStringUTF8(message) ?? "error " + code}");
        }
        finally
        {
            FreeErrorMessage(context, message);
        }
    }

    [LibraryImport(Library, EntryPoint = "krb5_init_context")]
    private static partial int InitContext(out nint context);

    [LibraryImport(Library, EntryPoint = "krb5_free_context")]
    private static partial void FreeContext(nint context);

    [LibraryImport(Library, EntryPoint = "krb5_kt_resolve", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Resolve(nint context, string name, out nint keytab);

    [LibraryImport(Library, EntryPoint = "krb5_kt_close")]
    private static partial int CloseKeytab(nint context, nint keytab);

    [LibraryImport(Library, EntryPoint = "krb5_kt_start_seq_get")]
    private static partial int StartSequence(nint context, nint keytab, ref nint cursor);

    [LibraryImport(Library, EntryPoint = "krb5_kt_next_entry")]
    private static partial int NextEntry(nint context, nint keytab, nint entry, ref nint cursor);

    [LibraryImport(Library, EntryPoint = "krb5_kt_end_seq_get")]
    private static partial int EndSequence(nint context, nint keytab, ref nint cursor);

    [LibraryImport(Library, EntryPoint = "krb5_kt_add_entry")]
    private static partial int AddEntry(nint context, nint keytab, nint entry);

    [LibraryImport(Library, EntryPoint = "krb5_free_keytab_entry_contents")]
    private static partial int FreeEntryContents(nint context, nint entry);

    [LibraryImport(Library, EntryPoint = "krb5_unparse_name")]
    private static partial int UnparseName(nint context, nint principal, out nint name);

    [LibraryImport(Library, EntryPoint = "krb5_free_unparsed_name")]
    private static partial void FreeUnparsedName(nint context, nint name);

    [LibraryImport(Library, EntryPoint = "krb5_get_error_message")]
    private static partial nint GetErrorMessage(nint context, int code);

    [LibraryImport(Library, EntryPoint = "krb5_free_error_message")]
    private static partial void FreeErrorMessage(nint context, nint message);
}
