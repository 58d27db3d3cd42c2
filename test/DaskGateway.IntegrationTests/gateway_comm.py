"""A ``gateway://<host>:<port>/<cluster>`` comm for distributed, as the upstream client registers.

Connecting opens TCP to the gateway's public port, then starts TLS on it with the server name
``daskgateway-<cluster>`` (protocol.md section 2.2): the gateway routes the connection by that name to
the cluster's scheduler without terminating TLS. The TLS context is the one a ``Security`` object
with the cluster's certificate and key makes (the certificate is the only CA); host names are not
checked, since the scheduler's certificate names the cluster, not the gateway. Importing this module
registers the scheme; it only connects (a ``gateway://`` address cannot be listened on).
"""
import ssl

from distributed.comm import registry
from distributed.comm.addressing import parse_host_port, unparse_host_port
from distributed.comm.tcp import TLSBackend, TLSConnector


def split_address(loc):
    """``host:port/cluster`` -> (host, port, cluster)."""
    host_port, _, path = loc.partition("/")
    host, port = parse_host_port(host_port)
    return host, port, path.strip("/")


class GatewayConnector(TLSConnector):
    prefix = "gateway://"

    async def connect(self, address, deserialize=True, **connection_args):
        host, port, cluster = split_address(address)
        context = connection_args.get("ssl_context")
        if not isinstance(context, ssl.SSLContext):
            raise TypeError("gateway:// needs TLS: pass a Security with the cluster's certificate and key")
        context.check_hostname = False
        connection_args = dict(connection_args, server_hostname="daskgateway-" + cluster)
        comm = await super().connect(unparse_host_port(host, port), deserialize, **connection_args)
        comm._peer_addr = self.prefix + address
        return comm


class GatewayBackend(TLSBackend):
    _connector_class = GatewayConnector

    def get_listener(self, loc, handle_comm, deserialize, **connection_args):
        raise NotImplementedError("gateway:// addresses are for connecting to a cluster through a gateway")

    def get_address_host(self, loc):
        return split_address(loc)[0]

    def get_address_host_port(self, loc):
        return split_address(loc)[:2]

    def resolve_address(self, loc):
        return loc

    def get_local_address_for(self, loc):
        host, port, _ = split_address(loc)
        return super().get_local_address_for(unparse_host_port(host, port))


registry.backends["gateway"] = GatewayBackend()
