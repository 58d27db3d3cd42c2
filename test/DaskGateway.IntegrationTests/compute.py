"""Connect to a cluster's scheduler over TLS with its credentials, compute, report the workers."""
import sys

from distributed import Client
from distributed.security import Security

address, certificate, key = sys.argv[1:4]
security = Security(
    tls_ca_file=certificate,
    tls_client_cert=certificate,
    tls_client_key=key,
    require_encryption=True,
)
with Client(address, security=security, timeout=30) as client:
    total = client.submit(sum, range(10)).result(timeout=60)
    squares = client.gather(client.map(lambda x: x * x, range(20)))
    print(f"result={total} squares={sum(squares)} workers={len(client.scheduler_info()['workers'])}")
