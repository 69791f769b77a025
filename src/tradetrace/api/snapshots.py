"""The server reads a snapshot of the store, so writers are never blocked by it.

DuckDB lets one process write a file or several read it, never both. A server holding
the live file open would stop every ingest; a server opening it per request would fail
while an ingest runs. Instead it copies the store as of its last commit
(:func:`tradetrace.store.copy_consistent`) into a private folder and reads the copy.
When the live store changes and no writer is at work, the next request takes a fresh
copy; while an ingest runs, requests keep reading the previous copy. Readers therefore
see the old state or the new one, never a half-written one, and never an error.

Cost: one copy of the store file per change on disk next to it (removed on shutdown).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path

from tradetrace.errors import StoreError
from tradetrace.store import copy_consistent, store_fingerprint, wal_path

__all__ = ["Snapshots"]


class Snapshots:
    """The current snapshot of one live store, refreshed at most every ``check_every`` s."""

    def __init__(self, live: Path, check_every: float = 0.5, first_wait: float = 30.0):
        self.live = Path(live)
        self.check_every = check_every
        self.folder = Path(
            tempfile.mkdtemp(prefix=f".{self.live.stem}.serving-", dir=self.live.parent)
        )
        self._lock = threading.Lock()
        self._serial = 0
        self._checked = 0.0
        self.path: Path | None = None
        self.fingerprint: tuple[int, ...] | None = None
        self.refresh(wait=first_wait)

    def refresh(self, wait: float = 0.0) -> Path:
        """The snapshot to read now; a new one if the live store changed and is idle."""
        now = time.monotonic()
        if self.path is not None and now - self._checked < self.check_every:
            return self.path
        with self._lock:
            self._checked = now
            if self.path is not None and store_fingerprint(self.live) == self.fingerprint:
                return self.path
            return self._take(deadline=now + wait)

    def _take(self, deadline: float) -> Path:
        dest = self.folder / f"{self._serial + 1}.duckdb"
        while (fingerprint := copy_consistent(self.live, dest)) is None:
            if time.monotonic() >= deadline:
                if self.path is not None:
                    return self.path  # a writer is at work: keep serving the last commit
                raise StoreError(f"{self.live}: busy: a writer is at work; try again shortly")
            time.sleep(0.1)
        old = self.path
        self._serial += 1
        self.path, self.fingerprint = dest, fingerprint
        if old is not None:  # open readers keep their handle; the disk space goes at close
            old.unlink(missing_ok=True)
            wal_path(old).unlink(missing_ok=True)
        return dest

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
