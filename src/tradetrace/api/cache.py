"""Answers computed once per store version, so a busy server does not redo the same work.

An exposure costs 100-500 ms of CPU; fifty analysts opening the same few targets would
otherwise compute each one fifty times. The server never writes the store, so an answer
to the same request over the same store file cannot change: results are keyed by the
normalised request *and* the store's version (its path, and the size and mtime of the
file and its WAL), so a new ingest or screening is never answered from old results.

The computations themselves run in worker processes (:mod:`tradetrace.api.work`), one per
core; requests that arrive while their answer is being computed wait for that
computation instead of starting another one.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from tradetrace.analyse.results import ExposureResult
    from tradetrace.screen.results import ScreenMatch

__all__ = ["LRU", "Answers", "Computer", "Results", "StoreVersion", "store_version"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
StoreVersion = tuple[str, int, int, int, int]


def store_version(path: Path) -> StoreVersion:
    """Changes whenever a writer commits: the size and mtime of the store file and its WAL."""
    parts: list[int] = []
    for file in (path, path.with_name(path.name + ".wal")):
        try:
            stat = file.stat()
            parts += [stat.st_size, stat.st_mtime_ns]
        except FileNotFoundError:
            parts += [0, 0]
    return (str(path), *parts)  # type: ignore[return-value]


class LRU(Generic[K, V]):
    """A bounded, thread-safe mapping that forgets the least recently used entries first."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class Computer:
    """Worker processes for the costly computations, started on first use.

    ``spawn``, not ``fork``: forking a process that has DuckDB and threads running can
    leave the child with locks held forever. A pool whose worker died (killed, out of
    memory) is replaced, so one crash fails the requests it was serving, not all later ones.
    """

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 2
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., V], /, *args: Any) -> Future[V]:
        with self._lock:
            for _ in range(2):
                if self._executor is None:
                    self._executor = self._start()
                try:
                    return self._executor.submit(fn, *args)
                except BrokenProcessPool:
                    self._executor.shutdown(wait=False, cancel_futures=True)
                    self._executor = None
            raise BrokenProcessPool("the worker processes keep dying")

    def _start(self) -> ProcessPoolExecutor:
        from tradetrace.api import work

        return ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=work.watch_parent,
            initargs=(os.getpid(),),
        )


#: One set of workers per server process, shared by its apps (tests create several, some
#: at once, so no app stops them). They end with the process: see ``work.watch_parent``.
COMPUTER = Computer()


class Results(Generic[V]):
    """A bounded LRU of computed answers; concurrent requests for one key share one computation.

    Only successes are kept: an error (an unknown target, say) is raised to every request
    that waited for it and computed afresh next time.
    """

    def __init__(
        self,
        computer: Computer,
        max_entries: int,
        max_bytes: int | None = None,
        weight: Callable[[V], int] = lambda _: 0,
    ):
        self.computer = computer
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.weight = weight
        self._done: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._running: dict[Hashable, Future[V]] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    async def get(self, key: Hashable, fn: Callable[..., V], /, *args: Any) -> V:
        """The answer for ``key``: kept, being computed, or ``fn(*args)`` computed now."""
        with self._lock:
            found = self._done.get(key)
            if found is not None:
                self._done.move_to_end(key)
                return found[0]
            future = self._running.get(key)
            started = future is None
            if future is None:
                future = self._running[key] = self.computer.submit(fn, *args)
        if started:  # outside the lock: a finished future runs the callback at once
            future.add_done_callback(partial(self._finished, key))
        # A client that goes away must not cancel the work others are waiting for.
        return await asyncio.shield(asyncio.wrap_future(future))

    def _finished(self, key: Hashable, future: Future[V]) -> None:
        with self._lock:
            self._running.pop(key, None)
            if not future.cancelled() and future.exception() is None:
                self._keep(key, future.result())

    def _keep(self, key: Hashable, value: V) -> None:
        size = self.weight(value)
        if self.max_bytes is not None and size > self.max_bytes // 4:
            return  # one huge answer must not push out everything else
        self._done[key] = (value, size)
        self._bytes += size
        while len(self._done) > self.max_entries or (
            self.max_bytes is not None and self._bytes > self.max_bytes
        ):
            _, (_, dropped) = self._done.popitem(last=False)
            self._bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._done.clear()
            self._bytes = 0


class Answers:
    """An app's kept answers."""

    def __init__(self, computer: Computer = COMPUTER):
        self.computer = computer
        #: target text → (entity id, why the id given was retired or None): small, and
        #: asked for by every analysis request
        self.targets: Results[tuple[str, str | None]] = Results(computer, max_entries=4096)
        #: exposure dicts with their JSON (tens of kB each)
        self.exposures: Results[tuple[ExposureResult, bytes]] = Results(computer, max_entries=256)
        #: finished bodies: reports (a PDF can be MBs), graphs, searches
        self.outputs: Results[bytes] = Results(
            computer, max_entries=1024, max_bytes=64 << 20, weight=len
        )
        #: (store version, threshold, screening query) → its list matches (mostly none)
        self.names: LRU[Hashable, tuple[ScreenMatch, ...]] = LRU(max_entries=100_000)

    def warm_up(self, path: Path) -> None:
        """Start the workers now, so the first costly request does not wait for them."""
        from tradetrace.api import work

        for _ in range(self.computer.workers):
            self.computer.submit(work.ready, str(path), store_version(path))

    def clear(self) -> None:
        for kept in (self.targets, self.exposures, self.outputs, self.names):
            kept.clear()
