"""Jobs on threads of this process: one machine, where the console answers at once and the work goes on.

The threads are kept by name, so a test, the `connect` command or a shutdown can wait for a job to finish. They
are daemon threads: a stopping process does not hang on an import, which the ledger lets resume safely.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class ThreadJobs:
    def __init__(self) -> None:
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()

    def submit(self, name: str, job: Callable[[], None]) -> None:
        thread = threading.Thread(target=job, name=name, daemon=True)
        with self._lock:
            self._threads = {n: t for n, t in self._threads.items() if t.is_alive()}  # forget finished ones
            self._threads[name] = thread
        thread.start()

    def wait(self, name: str, timeout: float | None = None) -> bool:
        with self._lock:
            thread = self._threads.get(name)
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()
