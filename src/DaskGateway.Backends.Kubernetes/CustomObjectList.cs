using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace DaskGateway.Backends.Kubernetes;

/// <summary>The list a custom resource's collection returns (KubernetesClient has typed lists for its own kinds only).</summary>
internal sealed class CustomObjectList<T> : IKubernetesObject<V1ListMeta>, IItems<T>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public IList<T> Items { get; set; } = [];
}
