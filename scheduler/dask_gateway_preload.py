"""Dask Gateway scheduler preload.

Load it into an unmodified ``dask-scheduler``::

    dask-scheduler --preload /path/to/dask_gateway_preload.py \\
        --dg-api-address 127.0.0.1:0 --dg-heartbeat-period 15 \\
        --dg-adaptive-period 3 --dg-idle-timeout 0

with ``DASK_GATEWAY_CLUSTER_NAME``, ``DASK_GATEWAY_API_URL`` and
``DASK_GATEWAY_API_TOKEN`` in the environment. The scheduler then

* reports itself to the gateway with heartbeats
  (``POST <api_url>/v1/clusters/<name>/heartbeat``): its addresses, the target
  worker count, which workers are active, being retired, or gone, and how many
  Dask clients are connected (``client_count``, an addition to upstream's
  message that the gateway's no-client timeout uses);
* serves a small HTTP API on ``--dg-api-address``: ``POST /api/comm`` (the
  gateway's ``scale`` and ``adapt`` requests) and ``GET /api/health``;
* optionally scales adaptively and asks the gateway to stop the cluster when it
  has been idle for ``--dg-idle-timeout`` seconds.

This is the wire protocol of upstream's ``dask_gateway.scheduler_preload`` (same
flags, environment variables and messages), so either can be used with either
gateway. It needs nothing but ``distributed`` (and the ``click`` and
``tornado`` that ``distributed`` itself depends on).
"""

from __future__ import annotations

import asyncio
import collections
import hmac
import json
import logging
import os
import socket
import sys
import time
from urllib.parse import urlparse

import click
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from distributed.diagnostics.plugin import SchedulerPlugin

# A child of the scheduler's logger: it goes wherever distributed's logging
# configuration sends scheduler messages.
logger = logging.getLogger("distributed.scheduler.dask_gateway")

ENV_CLUSTER_NAME = "DASK_GATEWAY_CLUSTER_NAME"
ENV_API_URL = "DASK_GATEWAY_API_URL"
ENV_API_TOKEN = "DASK_GATEWAY_API_TOKEN"

# Heartbeat retry delays after failures: 0.5, 1, 2, 4 ... capped at the period.
BACKOFF_FIRST_DELAY = 0.5
# The cap when the period is 0 (heartbeats only on changes, as on Kubernetes):
# a change that could not be delivered is retried at least this often.
BACKOFF_CAP_WITHOUT_PERIOD = 15.0
# A new worker beyond the target count, or a worker lost without being asked to
# leave, is reported this many seconds later (several such events coalesce).
DEFERRED_HEARTBEAT_DELAY = 3.0
# Adaptive scaling: the dask target duration, and how many recent targets a
# scale-down must respect (we never go below the largest of them).
ADAPTIVE_TARGET_DURATION = 5.0
ADAPTIVE_WINDOW = 3
# Tornado HTTP client timeouts for calls to the gateway, in seconds.
CONNECT_TIMEOUT = 10.0
REQUEST_TIMEOUT = 20.0


class GatewayClient:
    """The scheduler's two calls to the gateway API."""

    def __init__(self, cluster_name: str, api_url: str, api_token: str):
        self.cluster_name = cluster_name
        self.api_url = api_url.rstrip("/")
        self.api_token = api_token

    @property
    def cluster_url(self) -> str:
        return f"{self.api_url}/v1/clusters/{self.cluster_name}"

    async def heartbeat(self, msg: dict) -> None:
        await self._fetch(
            HTTPRequest(
                self.cluster_url + "/heartbeat",
                method="POST",
                headers={
                    "Authorization": f"token {self.api_token}",
                    "Content-type": "application/json",
                },
                body=json.dumps(msg),
                connect_timeout=CONNECT_TIMEOUT,
                request_timeout=REQUEST_TIMEOUT,
            )
        )

    async def shutdown(self) -> None:
        await self._fetch(
            HTTPRequest(
                self.cluster_url,
                method="DELETE",
                headers={"Authorization": f"token {self.api_token}"},
                connect_timeout=CONNECT_TIMEOUT,
                request_timeout=REQUEST_TIMEOUT,
            )
        )

    @staticmethod
    async def _fetch(request: HTTPRequest) -> None:
        # Raises tornado.httpclient.HTTPClientError on a status >= 400 (after
        # following redirects) and OSError/TimeoutError on transport failures.
        await AsyncHTTPClient().fetch(request)


class _WorkerEvents(SchedulerPlugin):
    """Forwards the scheduler's worker and client arrivals and departures to the service."""

    name = "dask-gateway"

    def __init__(self, service: GatewaySchedulerService):
        self.service = service

    def add_worker(self, scheduler=None, worker=None, **kwargs):
        self.service.worker_added(worker)

    def remove_worker(self, scheduler=None, worker=None, **kwargs):
        self.service.worker_removed(worker)

    def add_client(self, scheduler=None, client=None, **kwargs):
        self.service.clients_changed()

    def remove_client(self, scheduler=None, client=None, **kwargs):
        self.service.clients_changed()


class _ApiHandler(web.RequestHandler):
    def initialize(self, service: GatewaySchedulerService):
        self.service = service

    def write_error(self, status_code, **kwargs):
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": self._reason}))


class _HealthHandler(_ApiHandler):
    def get(self):
        self.set_status(200)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"status": "pass"}))


class _CommHandler(_ApiHandler):
    async def post(self):
        if not self._authorized():
            raise web.HTTPError(403, reason="Forbidden")
        msg = self._json_body()
        op = msg.get("op")
        if op == "scale":
            count = msg.get("count", 0)
            if not _is_count(count):
                raise web.HTTPError(422, reason="count must be an integer >= 0")
            self.service.scale(count)
        elif op == "adapt":
            minimum = msg.get("minimum")
            maximum = msg.get("maximum")
            active = msg.get("active", True)
            for bound in (minimum, maximum):
                if bound is not None and not _is_count(bound):
                    raise web.HTTPError(
                        422, reason="minimum and maximum must be integers >= 0"
                    )
            if not isinstance(active, bool):
                raise web.HTTPError(422, reason="active must be a boolean")
            self.service.adapt(minimum=minimum, maximum=maximum, active=active)
        else:
            raise web.HTTPError(422, reason="op must be one of {scale, adapt}")
        self.set_status(200)
        self.finish()

    def _authorized(self) -> bool:
        kind, _, token = self.request.headers.get("Authorization", "").partition(" ")
        return kind == "token" and hmac.compare_digest(
            token.strip().encode(), self.service.api_token.encode()
        )

    def _json_body(self) -> dict:
        content_type = self.request.headers.get("Content-Type", "")
        msg = None
        if content_type.startswith("application/json"):
            try:
                msg = json.loads(self.request.body or b"null")
            except ValueError:
                pass
        if not isinstance(msg, dict):
            raise web.HTTPError(
                400, reason="expected a JSON object (Content-Type: application/json)"
            )
        return msg


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class GatewaySchedulerService:
    """State and background tasks of the preload, attached to one scheduler.

    Registered as ``scheduler.services["gateway"]`` (like upstream): the
    scheduler reports its ``port`` and calls ``stop()`` when it closes.
    """

    def __init__(
        self,
        scheduler,
        client: GatewayClient,
        *,
        heartbeat_period: float = 15.0,
        adaptive_period: float = 3.0,
        idle_timeout: float = 0.0,
    ):
        self.scheduler = scheduler
        self.client = client
        self.api_token = client.api_token
        self.heartbeat_period = max(0.0, heartbeat_period)
        self.adaptive_period = max(0.1, adaptive_period)
        self.idle_timeout = max(0.0, idle_timeout)

        # The target worker count, set by scale or by the adaptive loop.
        self.count = 0
        self.minimum = None
        self.maximum = None

        # Worker bookkeeping, by gateway worker name (the dask worker name).
        self.worker_names: dict[str, str] = {}  # scheduler address -> name
        self.active_workers: set[str] = set()  # connected, including closing
        self.closing_workers: set[str] = set()  # being retired at our request
        self.closed_workers: set[str] = set()  # every worker that left

        self.port = None
        self.api_address = ""
        self.dashboard_address = ""
        self._server = None
        self._tasks: set[asyncio.Task] = set()
        self._heartbeat_task = None
        self._idle_task = None
        self._adapt_task = None
        self._wake = asyncio.Event()
        self._deferred = None  # asyncio.TimerHandle of a pending deferred heartbeat
        self._stopped = False

    # ---------------------------------------------------------------- life cycle

    def start(self, host: str, port: int) -> None:
        """Listen on (host, port) and start the background loops.

        Called from ``dask_setup``, which distributed runs once the scheduler is
        listening, so the first heartbeat already carries the real addresses.
        """
        app = web.Application(
            [
                (r"/api/comm", _CommHandler, {"service": self}),
                (r"/api/health", _HealthHandler, {"service": self}),
            ]
        )
        sockets = bind_sockets(port, address=host or None, family=socket.AF_UNSPEC)
        self._server = HTTPServer(app)
        self._server.add_sockets(sockets)
        ports = {s.getsockname()[1] for s in sockets}
        if len(ports) != 1:
            raise RuntimeError(f"--dg-api-address bound several ports: {ports}")
        self.port = ports.pop()

        scheduler_host = _url_host(urlparse(self.scheduler.address).hostname or "")
        self.api_address = f"http://{scheduler_host}:{self.port}"
        dashboard = self.scheduler.services.get("dashboard")
        if dashboard is not None and getattr(dashboard, "port", None):
            self.dashboard_address = f"http://{scheduler_host}:{dashboard.port}"

        self.scheduler.add_plugin(_WorkerEvents(self), name=_WorkerEvents.name)
        for address in list(self.scheduler.workers):
            self.worker_added(address)

        logger.info("Dask Gateway API at: %s", self.api_address)
        self._heartbeat_task = self._spawn(self._heartbeat_loop())
        if self.idle_timeout > 0:
            self._idle_task = self._spawn(self._idle_loop())

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._server is not None:
            self._server.stop()
        self._cancel_deferred()
        for task in list(self._tasks):
            task.cancel()

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # ------------------------------------------------------------------ workers

    def worker_added(self, address: str) -> None:
        ws = self.scheduler.workers.get(address)
        if ws is None:
            return
        name = str(ws.name)
        self.worker_names[address] = name
        self.active_workers.add(name)
        self.closing_workers.discard(name)
        self.closed_workers.discard(name)
        if len(self.active_workers - self.closing_workers) > self.count:
            # More workers than wanted: tell the gateway soon; the heartbeat
            # picks the surplus to retire.
            self._heartbeat_later()

    def worker_removed(self, address: str) -> None:
        name = self.worker_names.pop(address, None)
        if name is None:
            return
        self.active_workers.discard(name)
        self.closed_workers.add(name)
        if name in self.closing_workers:
            self.closing_workers.discard(name)
        else:
            logger.info("Worker %s left unexpectedly", name)
            if self.heartbeat_period > 0:
                # Liveness is tracked by heartbeats: report the loss soon.
                self._heartbeat_later()

    # ------------------------------------------------------------------ clients

    def client_count(self) -> int:
        """Connected Dask clients (the scheduler's own fire-and-forget entry is none)."""
        return sum(1 for key in self.scheduler.clients if key != "fire-and-forget")

    def clients_changed(self) -> None:
        # The gateway's no-client timeout counts from the departure of the last
        # client: tell it soon, also when heartbeats are only sent on changes.
        self._heartbeat_later()

    # ------------------------------------------------------------ scale / adapt

    def scale(self, count: int) -> None:
        """Explicit scale request: turns adaptive scaling off."""
        self.adapt(active=False)
        self._set_count(count)

    def adapt(self, minimum=None, maximum=None, active: bool = True) -> None:
        was_active = self._adapt_task is not None
        if was_active:
            self._adapt_task.cancel()
            self._adapt_task = None
        if active:
            logger.info(
                "Enabling adaptive scaling, minimum=%r, maximum=%r", minimum, maximum
            )
            self.minimum = minimum
            self.maximum = maximum
            # (Re)started so that new bounds apply at once.
            self._adapt_task = self._spawn(self._adapt_loop())
        elif was_active:
            logger.info("Disabling adaptive scaling")

    def _set_count(self, count: int) -> None:
        if count != self.count:
            logger.info("Requesting scale to %d workers from %d", count, self.count)
            self.count = count
            self._heartbeat_now()

    async def _adapt_loop(self) -> None:
        recent = collections.deque(maxlen=ADAPTIVE_WINDOW)
        while True:
            try:
                target = self.scheduler.adaptive_target(
                    target_duration=ADAPTIVE_TARGET_DURATION
                )
                if self.minimum is not None:
                    target = max(self.minimum, target)
                if self.maximum is not None:
                    target = min(self.maximum, target)
                recent.append(target)
                if target > self.count:
                    self._set_count(target)
                elif target < self.count:
                    # Scale down only as far as the recent targets agree.
                    highest = max(recent)
                    if highest < self.count:
                        self._set_count(highest)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("Error in adaptive scaling", exc_info=True)
            await asyncio.sleep(self.adaptive_period)

    # --------------------------------------------------------------- heartbeats

    def _heartbeat_now(self) -> None:
        self._wake.set()

    def _heartbeat_later(self) -> None:
        if self._deferred is None and not self._stopped:
            loop = asyncio.get_running_loop()
            self._deferred = loop.call_later(
                DEFERRED_HEARTBEAT_DELAY, self._deferred_fired
            )

    def _deferred_fired(self) -> None:
        self._deferred = None
        self._wake.set()

    def _cancel_deferred(self) -> None:
        if self._deferred is not None:
            self._deferred.cancel()
            self._deferred = None

    async def _sleep_until_woken(self, delay) -> None:
        """Sleep for delay seconds (None: forever) or until a heartbeat is asked."""
        if delay is None:
            await self._wake.wait()
            return
        try:
            await asyncio.wait_for(self._wake.wait(), delay)
        except asyncio.TimeoutError:
            pass

    async def _heartbeat_loop(self) -> None:
        period = self.heartbeat_period
        backoff_cap = period if period > 0 else BACKOFF_CAP_WITHOUT_PERIOD
        failures = 0
        # First heartbeat at once; with period 0 only when something changes.
        delay = 0.0 if period > 0 else None
        while True:
            await self._sleep_until_woken(delay)
            # This heartbeat reports the current state: nothing is pending any more.
            self._wake.clear()
            self._cancel_deferred()
            try:
                await self._heartbeat()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                delay = min(BACKOFF_FIRST_DELAY * 2 ** (failures - 1), backoff_cap)
                logger.warning(
                    "Failed to send heartbeat (attempt %d, next in %.1f s): %s",
                    failures,
                    delay,
                    exc,
                )
            else:
                failures = 0
                delay = period if period > 0 else None

    def _pick_workers_to_close(self, n: int) -> list[str]:
        """Choose n workers to retire: idle ones first, then those holding least data."""
        candidates = [
            ws
            for address, ws in self.scheduler.workers.items()
            if self.worker_names.get(address) in self.active_workers
            and self.worker_names[address] not in self.closing_workers
        ]
        candidates.sort(key=lambda ws: (len(ws.processing) > 0, ws.nbytes))
        return [str(ws.name) for ws in candidates[:n]]

    async def _heartbeat(self) -> None:
        staying = self.active_workers - self.closing_workers
        surplus = len(staying) - self.count
        to_close = self._pick_workers_to_close(surplus) if surplus > 0 else []
        closing = self.closing_workers | set(to_close)
        msg = {
            "scheduler_address": self.scheduler.address,
            "dashboard_address": self.dashboard_address,
            "api_address": self.api_address,
            "count": self.count,
            "active_workers": sorted(self.active_workers - closing),
            "closing_workers": sorted(closing),
            "closed_workers": sorted(self.closed_workers),
            "client_count": self.client_count(),
        }
        await self.client.heartbeat(msg)

        # The gateway now expects these workers to leave: retire them. Skip any
        # that left (or were picked by another heartbeat) in the meantime.
        to_close = [
            name
            for name in to_close
            if name in self.active_workers and name not in self.closing_workers
        ]
        if to_close:
            self.closing_workers.update(to_close)
            self._spawn(self._retire(to_close))

    async def _retire(self, names: list[str]) -> None:
        logger.info("Retiring workers %s", names)
        try:
            await self.scheduler.retire_workers(
                names=names,
                remove=True,
                close_workers=True,
                stimulus_id=f"dask-gateway-retire-{time.time()}",
            )
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning("Failed to retire workers %s", names, exc_info=True)
        finally:
            # Workers still connected were not retired (e.g. their data could not
            # be moved elsewhere): count them as active again so that a later
            # heartbeat may pick them, or others, again.
            kept = [n for n in names if n in self.active_workers]
            if kept and not self._stopped:
                logger.info("Workers %s were not retired", kept)
                self.closing_workers.difference_update(kept)

    # --------------------------------------------------------------- idle timeout

    def _is_busy(self) -> bool:
        scheduler = self.scheduler
        if any(ws.processing for ws in scheduler.workers.values()):
            return True
        return bool(scheduler.unrunnable) or bool(getattr(scheduler, "queued", None))

    def _last_activity(self) -> float:
        log = self.scheduler.transition_log
        if log:
            return log[-1][-1]  # the wall-clock time of the last task transition
        return self.scheduler.time_started

    async def _idle_loop(self) -> None:
        while True:
            await asyncio.sleep(self.idle_timeout / 4)
            if self._is_busy():
                continue
            if time.time() - self._last_activity() <= self.idle_timeout:
                continue
            logger.warning(
                "Cluster has been idle for %.2f seconds, shutting down",
                self.idle_timeout,
            )
            try:
                await self.client.shutdown()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("Failed to ask the gateway to stop the cluster: %s", exc)
                continue
            # The gateway stops us; ask again only if it has not done so by then.
            await asyncio.sleep(self.idle_timeout)


# -------------------------------------------------------------------- setup


def _fail(message: str, *args) -> None:
    logger.error(message, *args)
    sys.exit(1)


def _required_env(key: str) -> str:
    value = os.environ.get(key)
    if not value:
        _fail("Environment variable %r not found, shutting down", key)
    return value


def client_from_env() -> GatewayClient:
    cluster_name = _required_env(ENV_CLUSTER_NAME)
    api_url = _required_env(ENV_API_URL)
    api_token = _required_env(ENV_API_TOKEN)
    if "/" in api_token:
        # A path to a file holding the token (a mounted secret on Kubernetes).
        path = api_token
        try:
            with open(path) as f:
                api_token = f.read().strip()
        except OSError as exc:
            _fail("Cannot read the API token from %s (%s): %s", path, ENV_API_TOKEN, exc)
        if not api_token:
            _fail("The API token file %s (%s) is empty", path, ENV_API_TOKEN)
    return GatewayClient(cluster_name, api_url, api_token)


def _parse_api_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep:
        raise ValueError("expected HOST:PORT")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


@click.command()
@click.option(
    "--dg-adaptive-period",
    type=float,
    default=3.0,
    help="Period (in seconds) between adaptive scaling calls",
)
@click.option(
    "--dg-heartbeat-period",
    type=float,
    default=15.0,
    help=(
        "Period (in seconds) between heartbeat calls. Set to 0 to send "
        "heartbeats only when scaling."
    ),
)
@click.option(
    "--dg-idle-timeout",
    type=float,
    default=0.0,
    help="Idle timeout (in seconds) before shutting down the cluster",
)
@click.option(
    "--dg-api-address",
    type=str,
    default=":0",
    help="The address the api should listen at. Defaults to `:0`",
)
def dask_setup(
    scheduler, dg_adaptive_period, dg_heartbeat_period, dg_idle_timeout, dg_api_address
):
    try:
        host, port = _parse_api_address(dg_api_address)
    except ValueError:
        _fail("Invalid --dg-api-address %r, expected HOST:PORT", dg_api_address)

    client = client_from_env()
    service = GatewaySchedulerService(
        scheduler,
        client,
        heartbeat_period=dg_heartbeat_period,
        adaptive_period=dg_adaptive_period,
        idle_timeout=dg_idle_timeout,
    )
    try:
        service.start(host, port)
    except Exception:
        logger.error("Error starting the Dask Gateway service", exc_info=True)
        service.stop()
        sys.exit(1)
    scheduler.services["gateway"] = service


def dask_teardown(scheduler):
    # Stop heartbeats before the closing scheduler drops its workers, so that
    # the gateway is not told about losses that are only the shutdown.
    service = scheduler.services.get("gateway")
    if isinstance(service, GatewaySchedulerService):
        service.stop()
