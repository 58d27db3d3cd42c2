using System.Buffers;
using System.Text.Json;
using DaskGateway.Json;

namespace DaskGateway.Api;

/// <summary>Reads a JSON request body whatever its Content-Type, as upstream does, within a size limit.</summary>
internal static class RequestBody
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    /// <summary>
    /// How much more than the limit is still read (and discarded) so that the client can finish
    /// sending and then read the 413; beyond it, the server cuts the connection.
    /// </summary>
    public const int DrainFactor = 16;

    /// <summary>Reads the body as a JSON object; the error is a complete response for the client.</summary>
    public static async Task<(Dictionary<string, object?>? Body, ApiResponse? Error)> ReadObjectAsync(HttpContext context, int maxBytes)
    {
        var request = context.Request;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(maxBytes + 1, (int)Math.Min(request.ContentLength ?? 4096, maxBytes) + 1));
        try
        {
            var length = 0;
            var tooLarge = request.ContentLength > maxBytes;
            while (!tooLarge)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(maxBytes + 1, buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), context.RequestAborted);
                if (read == 0)
                {
                    break;
                }

                length += read;
                tooLarge = length > maxBytes;
            }

            if (tooLarge)
            {
                await DrainAsync(context, buffer);
                return (null, TooLarge(maxBytes));
            }

            if (length == 0)
            {
                return (null, ApiResponse.Error(400, "Request body is empty; expected a JSON object"));
            }

            using var document = JsonDocument.Parse(buffer.AsMemory(0, length), DocumentOptions);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, ApiResponse.Error(422, $"Request body must be a JSON object, got {document.RootElement.ValueKind.ToString().ToLowerInvariant()}"));
            }

            return (JsonValues.ToDictionary(document.RootElement), null);
        }
        catch (JsonException e)
        {
            return (null, ApiResponse.Error(400, $"Request body is not valid JSON: {e.Message}"));
        }
        catch (JsonNumberTooLongException e)
        {
            // Upstream's json module refuses such a literal too (it is past Python's digit limit).
            return (null, ApiResponse.Error(422, e.Message));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(maxBytes));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task DrainAsync(HttpContext context, byte[] scratch)
    {
        while (await context.Request.Body.ReadAsync(scratch, context.RequestAborted) > 0)
        {
        }
    }

    private static ApiResponse TooLarge(int maxBytes) =>
        ApiResponse.Error(StatusCodes.Status413PayloadTooLarge, $"Request body is larger than the limit of {maxBytes} bytes");
}
