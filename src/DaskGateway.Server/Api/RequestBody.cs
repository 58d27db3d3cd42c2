using System.Buffers;
using System.Text.Json;
using DaskGateway.Json;

namespace DaskGateway.Api;

/// <summary>Reads a JSON request body whatever its Content-Type, as upstream does, within a size limit.</summary>
internal static class RequestBody
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    /// <summary>Reads the body as a JSON object; the error is a complete response for the client.</summary>
    public static async Task<(Dictionary<string, object?>? Body, ApiResponse? Error)> ReadObjectAsync(HttpContext context, int maxBytes)
    {
        var request = context.Request;
        if (request.ContentLength > maxBytes)
        {
            return (null, TooLarge(maxBytes));
        }

        byte[]? rented = null;
        try
        {
            var length = 0;
            rented = ArrayPool<byte>.Shared.Rent(Math.Min(maxBytes + 1, (int)(request.ContentLength ?? 4096) + 1));
            while (true)
            {
                if (length == rented.Length)
                {
                    if (length > maxBytes)
                    {
                        return (null, TooLarge(maxBytes));
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(maxBytes + 1, rented.Length * 2));
                    rented.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(rented);
                    rented = larger;
                }

                var read = await request.Body.ReadAsync(rented.AsMemory(length), context.RequestAborted);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > maxBytes)
                {
                    return (null, TooLarge(maxBytes));
                }
            }

            if (length == 0)
            {
                return (null, ApiResponse.Error(400, "Request body is empty; expected a JSON object"));
            }

            using var document = JsonDocument.Parse(rented.AsMemory(0, length), DocumentOptions);
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
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(maxBytes));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static ApiResponse TooLarge(int maxBytes) =>
        ApiResponse.Error(StatusCodes.Status413PayloadTooLarge, $"Request body is larger than the limit of {maxBytes} bytes");
}
