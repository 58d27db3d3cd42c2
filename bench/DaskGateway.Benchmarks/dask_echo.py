"""Round trips to a real dask-scheduler's ``echo`` handler over one comm, as a client of the cluster.

Usage: dask_echo.py ADDRESS CERT KEY. ADDRESS is the scheduler's own ``tls://host:port`` or
``gateway://host:port/<cluster>`` through the gateway's public port. Prints one JSON line: MiB/s
with 200 MiB sent and the same received back in 4 MiB messages, and the round trip of a 64-byte
message (mean, p50, p99, in microseconds).
"""
import asyncio
import json
import sys
import time

from distributed.comm import connect
from distributed.security import Security

VOLUME = 200 << 20
MESSAGE = 4 << 20
ROUND_TRIPS = 3000


async def echo(comm, data):
    await comm.write({"op": "echo", "data": data, "reply": True})
    return await comm.read()


async def main(address, certificate, key):
    if address.startswith("gateway://"):
        import gateway_comm  # noqa: F401  (registers the scheme)
    security = Security(tls_ca_file=certificate, tls_client_cert=certificate, tls_client_key=key, require_encryption=True)
    comm = await connect(address, **security.get_connection_args("client"))
    try:
        payload = b"x" * MESSAGE
        for _ in range(3):
            await echo(comm, payload)
        started = time.perf_counter()
        received = 0
        while received < VOLUME:
            received += len(await echo(comm, payload))
        throughput = VOLUME / (1 << 20) / (time.perf_counter() - started)

        small = b"x" * 64
        for _ in range(200):
            await echo(comm, small)
        times = []
        for _ in range(ROUND_TRIPS):
            started = time.perf_counter()
            await echo(comm, small)
            times.append((time.perf_counter() - started) * 1e6)
        times.sort()
        print(json.dumps({
            "throughput": throughput,
            "mean": sum(times) / len(times),
            "p50": times[len(times) // 2],
            "p99": times[len(times) * 99 // 100],
        }))
    finally:
        await comm.close()


asyncio.run(main(*sys.argv[1:4]))
