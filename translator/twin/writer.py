"""A background thread that writes batches to the store while the caller keeps translating.

``StoreWriter.submit`` hands over one batch (translated messages, made ready by
``TwinStore.prepare``, and rejections for the ``DeadLetterStore``) and returns at once: the
store's inserts release the GIL, so on two cores translation and writing overlap, as in the
service's intake.

Bounded: at most one batch is being written and one waits. While the writer is busy, batches
submitted meanwhile join the waiting one, up to ``max_batch`` outcomes; past that ``submit``
waits (back-pressure). A store that falls behind thus gets bigger writes, which cost less per
message (the latest state and the things are updated once per key and batch, and a bulk
insert has a fixed cost per call); a store that keeps up gets the caller's batches as they are.

The thread starts with the first batch and stops in ``drain``, which waits until everything
submitted is written. A failed write does not stop it: the first error is raised by the next
``submit``, ``check`` or ``drain`` (later ones, until then, are logged).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from translator.twin.deadletter import DeadLetterStore
from translator.twin.prepared import PreparedMessage
from translator.twin.store import TwinStore
from translator.values import Rejected

logger = logging.getLogger(__name__)

Item = TypeVar("Item")


class StoreWriter:
    """Writes batches on one background thread; ``drain`` before reading what was written.

    Fed by one thread (``submit``, ``drain`` and ``check`` are not meant to race each other).
    """

    def __init__(
        self,
        store: TwinStore,
        dead_letters: DeadLetterStore,
        *,
        max_batch: int,
        name: str = "store-writer",
    ) -> None:
        self._store = store
        self._dead_letters = dead_letters
        self._max_batch = max_batch
        self._name = name
        self._changed = threading.Condition()  # guards everything below
        self._accepted: list[PreparedMessage] = []  # the waiting batch
        self._rejected: list[Rejected] = []
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._error: Exception | None = None

    def submit(self, accepted: Sequence[PreparedMessage], rejected: Sequence[Rejected]) -> None:
        """Queue one batch; waits while the waiting batch is too full to take it.

        Raises:
            Exception: what an earlier batch's write raised (this batch is then not queued).
        """
        self.check()
        size = len(accepted) + len(rejected)
        if not size:
            return
        with self._changed:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            while self._waiting() and self._waiting() + size > self._max_batch:
                self._changed.wait()
            self._accepted += accepted
            self._rejected += rejected
            self._changed.notify_all()

    def drain(self) -> None:
        """Wait until every submitted batch is written and stop the thread.

        Raises:
            Exception: what a batch's write raised, if it was not raised yet.
        """
        with self._changed:
            thread, self._thread = self._thread, None
            self._stopping = True
            self._changed.notify_all()
        if thread is not None:
            thread.join()
        with self._changed:
            self._stopping = False
        self.check()

    def check(self) -> None:
        """Raise the error of a failed write, once (``StoreError`` for a store failure)."""
        with self._changed:
            error, self._error = self._error, None
        if error is not None:
            raise error

    def _waiting(self) -> int:
        return len(self._accepted) + len(self._rejected)

    def _take(self) -> tuple[list[PreparedMessage], list[Rejected]] | None:
        """The waiting batch, once there is one; ``None`` when stopping with nothing left."""
        with self._changed:
            while not self._waiting() and not self._stopping:
                self._changed.wait()
            if not self._waiting():
                return None
            batch = self._accepted, self._rejected
            self._accepted, self._rejected = [], []
            self._changed.notify_all()
            return batch

    def _run(self) -> None:
        while self._write_next():
            pass

    def _write_next(self) -> bool:
        """Write the next batch; ``False`` once stopped. No batch outlives its write here."""
        batch = self._take()
        if batch is None:
            return False
        accepted, rejected = batch
        if rejected:  # first: a failing store must not cost the dead letters
            self._attempt(self._dead_letters.add_many, rejected)
        if accepted:
            self._attempt(self._store.write_prepared, accepted)
        return True

    def _attempt(self, write: Callable[[list[Item]], object], items: list[Item]) -> None:
        try:
            write(items)
        except Exception as err:  # a task boundary: handed to the caller, the thread goes on
            with self._changed:
                if self._error is None:
                    self._error = err
                    return
            logger.exception("writing a batch failed (an earlier failure is not raised yet)")
