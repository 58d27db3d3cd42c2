using System.Buffers;
using System.Text.Json;

namespace DaskGateway.Api;

/// <summary>A response decided by a handler but not yet written, so that authentication can still add headers to it.</summary>
internal readonly struct ApiResponse
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    private readonly Action<Utf8JsonWriter>? _writeBody;
    private readonly string? _error;

    private ApiResponse(int statusCode, Action<Utf8JsonWriter>? writeBody, string? error)
    {
        StatusCode = statusCode;
        _writeBody = writeBody;
        _error = error;
    }

    public int StatusCode { get; }

    public bool IsSuccess => StatusCode < 400;

    public static ApiResponse Json(int statusCode, Action<Utf8JsonWriter> writeBody) => new(statusCode, writeBody, null);

    public static ApiResponse Empty(int statusCode) => new(statusCode, null, null);

    public static ApiResponse Error(int statusCode, string message) => new(statusCode, null, message);

    public static ApiResponse Error(Clusters.ClusterError error) => Error(ClusterErrorStatus.Of(error.Kind), error.Message);

    public Task WriteAsync(HttpContext context) => _error is not null
        ? WriteErrorAsync(context, StatusCode, _error)
        : _writeBody is null ? WriteEmpty(context, StatusCode) : WriteJsonAsync(context, StatusCode, _writeBody);

    public static Task WriteErrorAsync(HttpContext context, int statusCode, string message) =>
        WriteJsonAsync(context, statusCode, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("error", message);
            writer.WriteEndObject();
        });

    private static Task WriteEmpty(HttpContext context, int statusCode)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentLength = 0;
        return Task.CompletedTask;
    }

    private static async Task WriteJsonAsync(HttpContext context, int statusCode, Action<Utf8JsonWriter> writeBody)
    {
        // The body is rendered first so that it goes out with a Content-Length in one write.
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writeBody(writer);
        }

        var response = context.Response;
        response.StatusCode = statusCode;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }
}
