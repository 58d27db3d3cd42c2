using System.Text.Json;

namespace DaskGateway.Proxy.Routing;

/// <summary>
/// The route API's JSON (protocol.md §2.5): <c>{"kind": "SNI", "sni": ..., "target": ...}</c>,
/// <c>{"kind": "PATH", "path": ..., "target": ...}</c>, and events <c>{"id", "type", "route"}</c>.
/// Reading matches field names case-insensitively, as upstream's proxy does.
/// </summary>
internal static class RouteJson
{
    public static void Write(Utf8JsonWriter writer, ProxyRoute route)
    {
        writer.WriteStartObject();
        if (route.Kind == RouteKind.Sni)
        {
            writer.WriteString("kind", "SNI");
            writer.WriteString("sni", route.Key);
        }
        else
        {
            writer.WriteString("kind", "PATH");
            writer.WriteString("path", route.Key);
        }

        if (route.Target is not null)
        {
            writer.WriteString("target", route.Target);
        }

        writer.WriteEndObject();
    }

    public static void Write(Utf8JsonWriter writer, RouteEvent routeEvent)
    {
        writer.WriteStartObject();
        writer.WriteNumber("id", routeEvent.Id);
        writer.WriteString("type", routeEvent.Type == RouteEventType.Put ? "PUT" : "DELETE");
        writer.WritePropertyName("route");
        Write(writer, routeEvent.Route);
        writer.WriteEndObject();
    }

    /// <summary>Reads a route; PUT routes and full tables need a target, DELETE routes do not.</summary>
    public static bool TryRead(JsonElement element, bool needsTarget, out ProxyRoute route)
    {
        route = null!;
        if (element.ValueKind != JsonValueKind.Object || !TryGetString(element, "kind", out var kind))
        {
            return false;
        }

        TryGetString(element, "target", out var target);
        if (needsTarget && target is null)
        {
            return false;
        }

        if (kind.Equals("SNI", StringComparison.OrdinalIgnoreCase) && TryGetString(element, "sni", out var sni))
        {
            route = new ProxyRoute(RouteKind.Sni, sni, target);
            return true;
        }

        if (kind.Equals("PATH", StringComparison.OrdinalIgnoreCase) && TryGetString(element, "path", out var path))
        {
            route = new ProxyRoute(RouteKind.Path, path, target);
            return true;
        }

        return false;
    }

    public static bool TryRead(JsonElement element, out RouteEvent routeEvent)
    {
        routeEvent = null!;
        if (element.ValueKind != JsonValueKind.Object
            || !TryGetProperty(element, "id", out var id) || !id.TryGetInt64(out var eventId)
            || !TryGetString(element, "type", out var type)
            || !TryGetProperty(element, "route", out var routeElement))
        {
            return false;
        }

        var eventType = type.Equals("PUT", StringComparison.OrdinalIgnoreCase) ? RouteEventType.Put
            : type.Equals("DELETE", StringComparison.OrdinalIgnoreCase) ? RouteEventType.Delete
            : (RouteEventType?)null;
        if (eventType is null || !TryRead(routeElement, eventType == RouteEventType.Put, out var route))
        {
            return false;
        }

        routeEvent = new RouteEvent(eventId, eventType.Value, route);
        return true;
    }

    public static bool TryGetProperty(JsonElement element, string name, out JsonElement value)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (property.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    private static bool TryGetString(JsonElement element, string name, out string value)
    {
        if (TryGetProperty(element, name, out var property) && property.ValueKind == JsonValueKind.String)
        {
            value = property.GetString()!;
            return true;
        }

        value = null!;
        return false;
    }
}
