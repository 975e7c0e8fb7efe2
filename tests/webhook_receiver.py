"""A real HTTP receiver for webhook tests: a threaded http.server on 127.0.0.1 that verifies each post's signature
with the endpoint's secret and records what came, in arrival order. `status` sets what it answers (500: fail)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gmail_tickets.domain.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, verify


@dataclass
class Received:
    event_id: str
    event: dict[str, Any]
    signed: bool


@dataclass
class Receiver:
    secret: str = ""
    status: int = 204
    delay: float = 0.0  # seconds between taking a post and answering it (a sender may die meanwhile)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                signed = verify(receiver.secret, self.headers.get(SIGNATURE_HEADER, ""), body, now=int(time.time()))
                with receiver.lock:
                    status = receiver.status
                    if 200 <= status < 300:
                        receiver.received.append(Received(self.headers.get(EVENT_ID_HEADER, ""), json.loads(body),
                                                          signed))
                time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def events(self) -> list[Received]:
        with self.lock:
            return list(self.received)
