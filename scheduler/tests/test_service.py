"""In-process tests of the preload's service against a fake scheduler (no subprocesses)."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import unittest

from support import PRELOAD

_spec = importlib.util.spec_from_file_location("dask_gateway_preload", PRELOAD)
preload = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(preload)
# The service logs every scale request at INFO; keep the test output readable.
logging.getLogger("distributed.scheduler.dask_gateway").setLevel(logging.WARNING)


class FakeWorker:
    def __init__(self, address, name, processing=0, nbytes=0):
        self.address = address
        self.name = name
        self.processing = set(range(processing))
        self.nbytes = nbytes


class FakeScheduler:
    address = "tcp://127.0.0.1:8786"

    def __init__(self, targets=(0,)):
        self.services = {}
        self.clients = {"fire-and-forget": object()}
        self.workers = {}
        self.plugins = {}
        self.targets = list(targets)
        self.retired = []

    def add_plugin(self, plugin, name=None):
        self.plugins[name] = plugin

    def adaptive_target(self, target_duration=None):
        return self.targets.pop(0) if len(self.targets) > 1 else self.targets[0]

    def add_worker(self, ws):
        self.workers[ws.address] = ws
        for plugin in self.plugins.values():
            plugin.add_worker(scheduler=self, worker=ws.address)

    async def retire_workers(self, names, remove, close_workers, stimulus_id):
        self.retired.append(sorted(names))
        for address, ws in list(self.workers.items()):
            if ws.name in names:
                del self.workers[address]
                for plugin in self.plugins.values():
                    plugin.remove_worker(scheduler=self, worker=address)


class FakeClient:
    api_token = "secret"

    def __init__(self):
        self.heartbeats = []
        self.changed = asyncio.Event()

    async def heartbeat(self, msg):
        self.heartbeats.append(msg)
        self.changed.set()

    async def wait_for(self, predicate, timeout=5):
        async def _wait():
            while not any(predicate(m) for m in self.heartbeats):
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(_wait(), timeout)
        return next(m for m in self.heartbeats if predicate(m))


class ServiceTest(unittest.IsolatedAsyncioTestCase):
    async def start(self, scheduler, **kwargs):
        self.client = FakeClient()
        self.service = preload.GatewaySchedulerService(scheduler, self.client, **kwargs)
        self.service.start("127.0.0.1", 0)
        self.addCleanup(self.service.stop)
        return self.service

    async def test_adaptive_scales_down_to_the_largest_recent_target(self):
        scheduler = FakeScheduler(targets=[4, 1, 1, 1, 0, 0, 0])
        service = await self.start(scheduler, heartbeat_period=0, adaptive_period=0.1)
        service.adapt()
        await self.client.wait_for(lambda m: m["count"] == 0)
        # Up at once; down only when the last three targets agree.
        self.assertEqual([m["count"] for m in self.client.heartbeats], [4, 1, 0])

    async def test_adaptive_target_is_clamped(self):
        scheduler = FakeScheduler(targets=[10, 10, 0])
        service = await self.start(scheduler, heartbeat_period=0, adaptive_period=0.1)
        service.adapt(minimum=2, maximum=3)
        await self.client.wait_for(lambda m: m["count"] == 2)
        self.assertEqual([m["count"] for m in self.client.heartbeats], [3, 2])
        # scale turns adaptive scaling off.
        service.scale(5)
        await self.client.wait_for(lambda m: m["count"] == 5)
        self.assertIsNone(service._adapt_task)

    async def test_surplus_workers_retired_idle_and_small_first(self):
        scheduler = FakeScheduler()
        service = await self.start(scheduler, heartbeat_period=0)
        service.scale(3)
        await self.client.wait_for(lambda m: m["count"] == 3)
        scheduler.add_worker(FakeWorker("tcp://a:1", "busy", processing=2))
        scheduler.add_worker(FakeWorker("tcp://a:2", "big", nbytes=10**6))
        scheduler.add_worker(FakeWorker("tcp://a:3", "small", nbytes=10))
        service.scale(1)
        msg = await self.client.wait_for(lambda m: m["count"] == 1)
        self.assertEqual(msg["closing_workers"], ["big", "small"])
        self.assertEqual(msg["active_workers"], ["busy"])
        self.assertEqual(msg["closed_workers"], [])
        for _ in range(10):
            if scheduler.retired and not service.closing_workers:
                break
            await asyncio.sleep(0.01)
        self.assertEqual(scheduler.retired, [["big", "small"]])
        self.assertEqual(service.closed_workers, {"big", "small"})
        self.assertEqual(service.closing_workers, set())


if __name__ == "__main__":
    unittest.main()
