"""The Gmail transport builds a thread's `users().<resource>()` once: the client library builds every method of a
resource anew on each `users()` and `messages()`, about a millisecond of CPU per message of a batch."""

from __future__ import annotations

import threading
from typing import Any

from gmail_tickets.adapters.gmail_transport import GmailTransport


class _Request:
    def __init__(self, name: str) -> None:
        self.name = name

    def execute(self) -> dict[str, Any]:
        return {"got": self.name}


class _Service:
    """A Gmail `Resource` stand-in that counts how often its resources are built."""

    def __init__(self, builds: list[str]) -> None:
        self.builds = builds

    def users(self) -> _Service:
        self.builds.append("users")
        return self

    def messages(self) -> _Service:
        self.builds.append("messages")
        return self

    def history(self) -> _Service:
        self.builds.append("history")
        return self

    def get(self, userId: str, id: str) -> _Request:
        return _Request(id)

    def list(self, userId: str, startHistoryId: str) -> _Request:
        return _Request(startHistoryId)

    def close(self) -> None:
        pass


def test_a_threads_resources_are_built_once_per_client() -> None:
    builds: list[str] = []
    transport = GmailTransport(lambda: _Service(builds))
    for n in range(5):
        assert transport.call("messages", "get", id=f"m{n}") == {"got": f"m{n}"}
    assert transport.call("history", "list", startHistoryId="7") == {"got": "7"}
    assert builds == ["users", "messages", "users", "history"]  # one users().messages(), one users().history()

    transport.close()  # a new client for this thread: its resources are built afresh
    transport.call("messages", "get", id="m9")
    assert builds[4:] == ["users", "messages"]


def test_each_thread_builds_its_own() -> None:
    builds: list[str] = []
    transport = GmailTransport(lambda: _Service(builds))
    transport.call("messages", "get", id="a")
    thread = threading.Thread(target=lambda: transport.call("messages", "get", id="b"))
    thread.start()
    thread.join()
    transport.call("messages", "get", id="c")
    assert builds == ["users", "messages"] * 2  # httplib2 is not thread-safe: nothing is shared across threads
