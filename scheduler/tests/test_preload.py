"""End-to-end tests: a real dask-scheduler with the preload, against a fake gateway."""

from __future__ import annotations

import os
import re
import signal
import tempfile
import time
import unittest
import uuid
from datetime import datetime

from support import (
    EVENT_TIMEOUT,
    START_TIMEOUT,
    PYTHON,
    FakeGateway,
    Process,
    dask_env,
    http,
    start_scheduler,
    start_worker,
)

HEARTBEAT_KEYS = [
    "scheduler_address",
    "dashboard_address",
    "api_address",
    "count",
    "active_workers",
    "closing_workers",
    "closed_workers",
    "client_count",
]


def log_time(output: str, needle: str) -> float:
    """Wall-clock time of the first log line containing needle."""
    for line in output.splitlines():
        if needle in line:
            m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})", line)
            if m:
                return datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
    raise AssertionError(f"{needle!r} not in the log:\n{output}")


def wait_for_log(proc, pattern, timeout=START_TIMEOUT) -> re.Match:
    deadline = time.monotonic() + timeout
    while True:
        m = re.search(pattern, proc.output())
        if m:
            return m
        if time.monotonic() > deadline or proc.proc.poll() is not None:
            raise AssertionError(f"{pattern!r} not in the log:\n{proc.output()}")
        time.sleep(0.05)


class SchedulerCase(unittest.TestCase):
    """One fake gateway and one scheduler per class; every process is cleaned up."""

    heartbeat_period = 1
    idle_timeout = 0
    fail_heartbeats = 0
    wait_first_heartbeat = True

    @classmethod
    def scheduler_env(cls):
        return {}

    @classmethod
    def setUpClass(cls):
        cls.token = uuid.uuid4().hex
        cls.processes = []
        cls.gateway = FakeGateway(fail_heartbeats=cls.fail_heartbeats)
        try:
            cls.scheduler = start_scheduler(
                cls.gateway,
                cls.token,
                heartbeat_period=cls.heartbeat_period,
                idle_timeout=cls.idle_timeout,
                env=cls.scheduler_env(),
            )
            cls.processes.append(cls.scheduler)
            if cls.wait_first_heartbeat:
                cls.first = cls.gateway.wait_heartbeat(timeout=START_TIMEOUT)
                cls.api = cls.first.body["api_address"]
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for proc in reversed(cls.processes):
            proc.stop()
        cls.gateway.close()

    def start_worker(self, name, nanny=False):
        proc = start_worker(self.first.body["scheduler_address"], name, nanny=nanny)
        self.processes.append(proc)
        return proc

    def comm(self, body, token=None, **kwargs):
        headers = {"Authorization": f"token {token or self.token}"}
        return http("POST", self.api + "/api/comm", body, headers, **kwargs)[0]


class BasicsTest(SchedulerCase):
    heartbeat_period = 1

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Before any test triggers heartbeats: the second one is a periodic one.
        try:
            cls.second = cls.gateway.wait_heartbeat(since=cls.first.time + 0.01)
        except BaseException:
            cls.tearDownClass()
            raise

    def test_first_heartbeat(self):
        first = self.first
        self.assertEqual(first.path, "/api/v1/clusters/c1/heartbeat")
        self.assertEqual(first.headers["Authorization"], f"token {self.token}")
        self.assertTrue(first.headers["Content-Type"].startswith("application/json"))
        self.assertEqual(list(first.body), HEARTBEAT_KEYS)
        body = first.body
        self.assertRegex(body["scheduler_address"], r"^tcp://127\.0\.0\.1:\d+$")
        self.assertRegex(body["dashboard_address"], r"^http://127\.0\.0\.1:\d+$")
        self.assertRegex(body["api_address"], r"^http://127\.0\.0\.1:\d+$")
        self.assertEqual(body["count"], 0)
        self.assertEqual(
            (body["active_workers"], body["closing_workers"], body["closed_workers"]),
            ([], [], []),
        )
        output = self.scheduler.output()
        self.assertIn(body["scheduler_address"], output)
        # Sent as soon as the scheduler listens (the log has millisecond stamps).
        listening = log_time(output, "Scheduler at:")
        self.assertLess(first.wall - listening, 1.0)
        # Then once per period.
        second = self.second
        self.assertGreater(second.time - first.time, 0.7)
        self.assertLess(second.time - first.time, 3.0)

    def test_health_needs_no_auth(self):
        status, _ = http("GET", self.api + "/api/health")
        self.assertEqual(status, 200)

    def test_comm_rejects_wrong_token(self):
        self.assertEqual(self.comm({"op": "scale", "count": 5}, token="wrong"), 403)
        status, _ = http("POST", self.api + "/api/comm", {"op": "scale", "count": 5})
        self.assertEqual(status, 403)
        headers = {"Authorization": f"Bearer {self.token}"}
        status, _ = http("POST", self.api + "/api/comm", {"op": "scale", "count": 5}, headers)
        self.assertEqual(status, 403)
        self.assertNotIn(5, [h.body["count"] for h in self.gateway.heartbeats])

    def test_comm_rejects_bad_requests(self):
        self.assertEqual(self.comm({"op": "restart"}), 422)
        self.assertEqual(self.comm({"op": "scale", "count": -1}), 422)
        self.assertEqual(self.comm({"op": "adapt", "minimum": "x"}), 422)
        # The body is JSON only with a JSON content type.
        headers = {"Authorization": f"token {self.token}", "Content-Type": "text/plain"}
        status, _ = http("POST", self.api + "/api/comm", b'{"op": "scale"}', headers)
        self.assertEqual(status, 400)

    def test_scale_worker_lifecycle(self):
        self.assertEqual(self.comm({"op": "scale", "count": 2}), 200)
        self.gateway.wait_heartbeat(lambda b: b["count"] == 2)

        worker = self.start_worker("w1", nanny=True)
        seen = self.gateway.wait_heartbeat(
            lambda b: b["active_workers"] == ["w1"], timeout=START_TIMEOUT
        )
        self.assertEqual(seen.body["count"], 2)
        self.assertEqual(seen.body["closing_workers"], [])

        asked = time.monotonic()
        self.assertEqual(self.comm({"op": "scale", "count": 0}), 200)
        closing = self.gateway.wait_heartbeat(lambda b: b["count"] == 0, since=asked)
        self.assertEqual(closing.body["closing_workers"], ["w1"])
        self.assertEqual(closing.body["active_workers"], [])
        self.assertEqual(closing.body["closed_workers"], [])
        closed = self.gateway.wait_heartbeat(
            lambda b: b["closed_workers"] == ["w1"], since=closing.time
        )
        self.assertEqual(closed.body["closing_workers"], [])
        self.assertEqual(closed.body["active_workers"], [])
        # The retired worker (and its nanny) exits.
        self.assertEqual(worker.wait(EVENT_TIMEOUT), 0)

    def test_adapt(self):
        self.assertEqual(self.comm({"op": "scale", "count": 0}), 200)
        asked = time.monotonic()
        body = {"op": "adapt", "minimum": 2, "maximum": 5, "active": True}
        self.assertEqual(self.comm(body), 200)
        self.gateway.wait_heartbeat(lambda b: b["count"] == 2, since=asked)

        # New bounds apply at once: the maximum caps the count.
        asked = time.monotonic()
        body = {"op": "adapt", "minimum": 0, "maximum": 1, "active": True}
        self.assertEqual(self.comm(body), 200)
        self.gateway.wait_heartbeat(lambda b: b["count"] <= 1, since=asked)

        asked = time.monotonic()
        body = {"op": "adapt", "minimum": 3, "maximum": 5, "active": True}
        self.assertEqual(self.comm(body), 200)
        self.gateway.wait_heartbeat(lambda b: b["count"] == 3, since=asked)

        # active=false stops the loop (it would otherwise keep the minimum of 3).
        body = {"op": "adapt", "active": False}
        self.assertEqual(self.comm(body), 200)
        wait_for_log(self.scheduler, "Disabling adaptive scaling")

        # An explicit scale also turns adaptive scaling off.
        asked = time.monotonic()
        self.assertEqual(self.comm({"op": "adapt", "minimum": 2}), 200)
        self.gateway.wait_heartbeat(lambda b: b["count"] == 2, since=asked)
        asked = time.monotonic()
        self.assertEqual(self.comm({"op": "scale", "count": 0}), 200)
        self.gateway.wait_heartbeat(lambda b: b["count"] == 0, since=asked)
        time.sleep(1.5)  # three adaptive periods
        later = self.gateway.heartbeats[-1]
        self.assertEqual(later.body["count"], 0)


class TriggeredHeartbeatsTest(SchedulerCase):
    """A long period, so that every heartbeat after the first is a triggered one."""

    heartbeat_period = 30

    def test_scale_surplus_and_loss(self):
        asked = time.monotonic()
        self.assertEqual(self.comm({"op": "scale", "count": 1}), 200)
        hb = self.gateway.wait_heartbeat(lambda b: b["count"] == 1, since=asked)
        self.assertLess(hb.time - asked, 1.0)  # at once, not after the period

        w3 = self.start_worker("w3")
        wait_for_log(self.scheduler, r"Register worker .*name: w3")
        w4 = self.start_worker("w4")
        wait_for_log(self.scheduler, r"Register worker .*name: w4")
        registered = log_time(self.scheduler.output(), "name: w4")

        # One worker too many: reported 3 s after it arrived, one picked to retire.
        surplus = self.gateway.wait_heartbeat(
            lambda b: b["closing_workers"], since=hb.time + 0.01
        )
        self.assertGreater(surplus.wall - registered, 2.5)
        self.assertLess(surplus.wall - registered, 6.0)
        self.assertEqual(surplus.body["count"], 1)
        self.assertEqual(len(surplus.body["closing_workers"]), 1)
        self.assertEqual(
            sorted(surplus.body["closing_workers"] + surplus.body["active_workers"]),
            ["w3", "w4"],
        )
        (retired,) = surplus.body["closing_workers"]
        (kept,) = surplus.body["active_workers"]
        procs = {"w3": w3, "w4": w4}
        self.assertEqual(procs[retired].wait(EVENT_TIMEOUT), 0)

        # An unexpected loss is reported 3 s later.
        killed = time.time()
        procs[kept].signal(signal.SIGKILL)
        lost = self.gateway.wait_heartbeat(
            lambda b: kept in b["closed_workers"], since=surplus.time + 0.01
        )
        self.assertGreater(lost.wall - killed, 2.5)
        self.assertLess(lost.wall - killed, 7.0)
        self.assertEqual(sorted(lost.body["closed_workers"]), ["w3", "w4"])
        self.assertEqual(lost.body["active_workers"], [])
        self.assertEqual(lost.body["closing_workers"], [])


class PeriodZeroTest(SchedulerCase):
    """Period 0 (Kubernetes): heartbeats only on scale changes."""

    heartbeat_period = 0
    wait_first_heartbeat = False

    def test_only_on_changes(self):
        m = wait_for_log(self.scheduler, r"Dask Gateway API at: (http://\S+)")
        api = m.group(1)
        self.assertEqual(http("GET", api + "/api/health")[0], 200)
        time.sleep(1.5)
        self.assertEqual(self.gateway.heartbeats, [])

        asked = time.monotonic()
        headers = {"Authorization": f"token {self.token}"}
        status, _ = http("POST", api + "/api/comm", {"op": "scale", "count": 2}, headers)
        self.assertEqual(status, 200)
        hb = self.gateway.wait_heartbeat(lambda b: b["count"] == 2)
        self.assertLess(hb.time - asked, 1.0)
        self.assertEqual(hb.body["api_address"], api)
        time.sleep(1.5)
        self.assertEqual(len(self.gateway.heartbeats), 1)


class ClientCountTest(SchedulerCase):
    """client_count follows clients, reported at once even with period 0."""

    heartbeat_period = 0
    wait_first_heartbeat = False

    def test_client_arrival_and_departure(self):
        address = wait_for_log(self.scheduler, r"Scheduler at:\s+(\S+)").group(1)
        script = (
            "import sys, time\n"
            "from distributed import Client\n"
            "client = Client(sys.argv[1], timeout=30)\n"
            "print('connected', flush=True)\n"
            "time.sleep(600)\n"
        )
        client = Process([PYTHON, "-c", script, address], dask_env())
        self.processes.append(client)
        wait_for_log(client, "connected")
        self.gateway.wait_heartbeat(lambda b: b.get("client_count") == 1)

        left = time.monotonic()
        client.stop()
        self.gateway.wait_heartbeat(lambda b: b.get("client_count") == 0, since=left)


class IdleTimeoutAndBackoffTest(SchedulerCase):
    """Token read from a file; first heartbeats fail; idle timeout 2 s."""

    heartbeat_period = 2
    idle_timeout = 2
    fail_heartbeats = 3
    wait_first_heartbeat = False

    @classmethod
    def scheduler_env(cls):
        cls.token_file = tempfile.NamedTemporaryFile("w", suffix="-api-token")
        cls.token_file.write(cls.token + "\n")
        cls.token_file.flush()
        return {"DASK_GATEWAY_API_TOKEN": cls.token_file.name}

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.token_file.close()

    def test_idle_timeout_and_backoff(self):
        delete = self.gateway.wait_for(lambda r: r.method == "DELETE", timeout=START_TIMEOUT)
        self.assertEqual(delete.path, "/api/v1/clusters/c1")
        self.assertEqual(delete.headers["Authorization"], f"token {self.token}")
        started = log_time(self.scheduler.output(), "Scheduler at:")
        self.assertGreater(delete.wall - started, 1.9)
        self.assertLess(delete.wall - started, 4.0)

        # Failed heartbeats are retried after 0.5, 1 and 2 s (capped at the period).
        self.gateway.wait_heartbeat(lambda b: True, since=0)
        hbs = []
        deadline = time.monotonic() + EVENT_TIMEOUT
        while len(hbs) < 4 and time.monotonic() < deadline:
            hbs = self.gateway.heartbeats
            time.sleep(0.1)
        self.assertGreaterEqual(len(hbs), 4, hbs)
        gaps = [b.time - a.time for a, b in zip(hbs, hbs[1:4])]
        for gap, expected in zip(gaps, [0.5, 1.0, 2.0]):
            self.assertGreater(gap, expected - 0.1, gaps)
            self.assertLess(gap, expected + 0.6, gaps)
        self.assertTrue(all(h.headers["Authorization"] == f"token {self.token}" for h in hbs))


class MissingEnvironmentTest(unittest.TestCase):
    def test_missing_variable_exits(self):
        for var in ["DASK_GATEWAY_CLUSTER_NAME", "DASK_GATEWAY_API_URL", "DASK_GATEWAY_API_TOKEN"]:
            with self.subTest(var=var):
                proc = start_scheduler(None, uuid.uuid4().hex, drop_env=[var])
                try:
                    self.assertNotEqual(proc.wait(START_TIMEOUT), 0)
                    self.assertIn(f"Environment variable '{var}' not found", proc.output())
                finally:
                    proc.stop()

    def test_unreadable_token_file_exits(self):
        missing = os.path.join(tempfile.gettempdir(), uuid.uuid4().hex, "api-token")
        proc = start_scheduler(None, missing)
        try:
            self.assertNotEqual(proc.wait(START_TIMEOUT), 0)
            self.assertIn("Cannot read the API token", proc.output())
        finally:
            proc.stop()


if __name__ == "__main__":
    unittest.main()
