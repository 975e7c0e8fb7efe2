"""Work that may outlive the call that starts it (the import after connecting a mailbox).

Where it runs is the runtime's choice, not the use case's: on one machine a thread lets the console answer at once;
in a Cloud Function the instance may be frozen as soon as it has answered, so the work runs before it answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class JobRunner(Protocol):
    def submit(self, name: str, job: Callable[[], None]) -> None:
        """Run `job`, now or in the background. `job` handles its own errors: nothing it raises is reported."""

    def wait(self, name: str, timeout: float | None = None) -> bool:
        """Block until the latest job submitted as `name` has finished; False on timeout. True when there is
        none (never submitted, or run inline)."""
