"""Connect to a cluster's scheduler over TLS with its credentials (directly, or gateway://host:port/<cluster> through
the gateway's public port), compute, report the workers and the scheduler's own address."""
import sys

from distributed import Client
from distributed.security import Security

address, certificate, key = sys.argv[1:4]
if address.startswith("gateway://"):
    import gateway_comm  # noqa: F401  (registers the scheme)

security = Security(
    tls_ca_file=certificate,
    tls_client_cert=certificate,
    tls_client_key=key,
    require_encryption=True,
)
with Client(address, security=security, timeout=30) as client:
    total = client.submit(sum, range(10)).result(timeout=60)
    squares = client.gather(client.map(lambda x: x * x, range(20)))
    info = client.scheduler_info()
    print(f"result={total} squares={sum(squares)} workers={len(info['workers'])} scheduler={info['address']}")
