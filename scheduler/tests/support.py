"""Test fixtures: a fake gateway API and real dask processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
PRELOAD = os.path.normpath(os.path.join(HERE, "..", "dask_gateway_preload.py"))
PYTHON = sys.executable

# Generous bounds for a loaded 2-core machine; tests normally finish far sooner.
START_TIMEOUT = 30.0
EVENT_TIMEOUT = 15.0


class Request:
    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.time = time.monotonic()
        self.wall = time.time()

    def __repr__(self):
        return f"<{self.method} {self.path} {self.body!r}>"


class FakeGateway:
    """Records every request; answers heartbeats (optionally failing the first few)."""

    def __init__(self, cluster_name="c1", fail_heartbeats=0):
        self.cluster_name = cluster_name
        self.fail_heartbeats = fail_heartbeats
        self.requests: list[Request] = []
        self.cond = threading.Condition()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                req = Request(self.command, self.path, self.headers, body)  # case-insensitive
                with gateway.cond:
                    gateway.requests.append(req)
                    status = 200
                    if req.path.endswith("/heartbeat") and gateway.fail_heartbeats > 0:
                        gateway.fail_heartbeats -= 1
                        status = 500
                    gateway.cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_DELETE = do_GET = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.api_url = f"http://127.0.0.1:{self.server.server_address[1]}/api"

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def heartbeats(self) -> list[Request]:
        with self.cond:
            return [r for r in self.requests if r.path.endswith("/heartbeat")]

    def wait_for(self, predicate, timeout=EVENT_TIMEOUT, what="request"):
        """The first recorded request matching predicate, waiting up to timeout."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for r in self.requests:
                    if predicate(r):
                        return r
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"no {what} within {timeout} s; got {self.requests[-5:]}"
                    )
                self.cond.wait(remaining)

    def wait_heartbeat(self, predicate=lambda body: True, since=0.0, **kwargs):
        """The first heartbeat received after monotonic time since matching predicate."""
        return self.wait_for(
            lambda r: r.path.endswith("/heartbeat")
            and r.time >= since
            and predicate(r.body),
            what="matching heartbeat",
            **kwargs,
        )


class Process:
    """A subprocess in its own process group, its output in a temporary file."""

    def __init__(self, argv, env=None):
        self.log = tempfile.NamedTemporaryFile(prefix="dask-preload-test-", suffix=".log")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def wait(self, timeout):
        return self.proc.wait(timeout)

    def signal(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self):
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        # Kill whatever is left in the group (a nanny's worker, say).
        self.signal(signal.SIGKILL)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self.log.close()


def dask_env(extra=None, drop=()):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASK_")}
    env.update(extra or {})
    for key in drop:
        env.pop(key, None)
    return env


def start_scheduler(gateway, token, *, heartbeat_period=1, adaptive_period=0.5,
                    idle_timeout=0, env=None, drop_env=()):
    argv = [
        PYTHON, "-m", "distributed.cli.dask_scheduler",
        "--protocol", "tcp", "--host", "127.0.0.1", "--port", "0",
        "--dashboard-address", "127.0.0.1:0",
        "--preload", PRELOAD,
        "--dg-api-address", "127.0.0.1:0",
        "--dg-heartbeat-period", str(heartbeat_period),
        "--dg-adaptive-period", str(adaptive_period),
        "--dg-idle-timeout", str(idle_timeout),
    ]
    base = {
        "DASK_GATEWAY_CLUSTER_NAME": gateway.cluster_name if gateway else "c1",
        "DASK_GATEWAY_API_URL": gateway.api_url if gateway else "http://127.0.0.1:9/api",
        "DASK_GATEWAY_API_TOKEN": token,
    }
    base.update(env or {})
    return Process(argv, dask_env(base, drop_env))


def start_worker(scheduler_address, name, nanny=False):
    argv = [
        PYTHON, "-m", "distributed.cli.dask_worker", scheduler_address,
        "--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0",
        "--name", name, "--nthreads", "1", "--memory-limit", "0",
        "--nanny" if nanny else "--no-nanny",
    ]
    return Process(argv, dask_env())


def http(method, url, body=None, headers=None, timeout=10):
    """(status, body bytes) of an HTTP request; errors are returned, not raised."""
    data = None
    headers = dict(headers or {})
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
