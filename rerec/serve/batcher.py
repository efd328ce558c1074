"""Micro-batching for the HTTP server: requests that arrive while the model is busy are answered together.

On a CPU, one `generate` over 8 prompts costs far less than 8 separate calls, so concurrent clients share
batches. A bounded queue turns overload into an immediate, documented 503 instead of unbounded latency, and
each request has its own deadline. One worker thread owns the model, so generation never runs twice at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)


class QueueFullError(RuntimeError):
    """More requests are waiting than the server accepts; the client should retry later (503)."""


@dataclass
class _Job:
    payload: object
    future: asyncio.Future


class Batcher:
    """Collects submitted payloads into batches for `handle(list) -> list` (run in a worker thread).

    Args:
        handle: Answers a list of payloads, in order.
        max_batch (`int`): Most payloads per `handle` call.
        max_queue (`int`): Most payloads waiting; beyond it `submit` raises `QueueFullError`.
        window_s (`float`): How long the first payload of a batch waits for company.
    """

    def __init__(
        self, handle: Callable[[Sequence], list], max_batch: int = 8, max_queue: int = 32, window_s: float = 0.01
    ):
        if max_batch < 1 or max_queue < 1:
            raise ValueError("max_batch and max_queue must be >= 1")
        self.handle, self.max_batch, self.window_s = handle, max_batch, window_s
        self.queue: asyncio.Queue[_Job] = asyncio.Queue(maxsize=max_queue)
        self._task: asyncio.Task | None = None
        self.batches: list[int] = []  # sizes of the batches run, for the benchmark and tests

    def start(self) -> None:
        """Start the worker in the running loop. A host that runs the app in a new loop each time (test clients,
        ASGI without lifespan) gets a new worker and queue there: the old loop's are unusable once it closed."""
        loop = asyncio.get_running_loop()
        if self._task is not None and self._task.get_loop() is not loop:
            self.queue = asyncio.Queue(maxsize=self.queue.maxsize)
        self._task = loop.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def submit(self, payload: object, timeout_s: float) -> object:
        """The answer to `payload`; `QueueFullError` when the queue is full, `TimeoutError` past the deadline.
        The worker starts with the first submission when none runs in this loop (an ASGI host without lifespan)."""
        if self._task is None or self._task.done() or self._task.get_loop() is not asyncio.get_running_loop():
            self.start()
        future = asyncio.get_running_loop().create_future()
        try:
            self.queue.put_nowait(_Job(payload, future))
        except asyncio.QueueFull:
            raise QueueFullError(f"{self.queue.maxsize} requests are already waiting; retry shortly") from None
        return await asyncio.wait_for(future, timeout_s)

    async def _run(self) -> None:
        while True:
            jobs = [await self.queue.get()]
            await asyncio.sleep(self.window_s)
            while len(jobs) < self.max_batch and not self.queue.empty():
                jobs.append(self.queue.get_nowait())
            jobs = [j for j in jobs if not j.future.done()]  # timed out while waiting: no model time for them
            if not jobs:
                continue
            self.batches.append(len(jobs))
            try:
                results = await asyncio.to_thread(self.handle, [j.payload for j in jobs])
            except Exception as err:  # the batch failed as a whole: every waiting client hears why
                logger.exception("batch of %d failed", len(jobs))
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(err)
                continue
            for job, result in zip(jobs, results, strict=True):
                if not job.future.done():
                    job.future.set_result(result)
