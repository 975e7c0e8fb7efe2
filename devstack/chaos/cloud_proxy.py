"""The platform's load balancer in front of a function's instances, in the harness's process.

A Pub/Sub push subscription delivers to ONE endpoint; Cloud Functions spreads those requests over the function's
instances. This proxy does the same round robin over Instance objects, skipping the ones that are down. When the
chosen instance dies under a request (the connection breaks) it answers 502, and 503 when none is up: a non-2xx
answer is what makes Pub/Sub deliver the message again, as Google's front end does for a crashed instance.
"""

from __future__ import annotations

import http.client
import itertools
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from devstack.chaos.cloud_instances import Instance

POLL_S = 0.25  # how often a waiting request looks for an instance that came up
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "host", "content-length"})


class RoundRobinProxy:
    """`url` stands for the function; requests go to `instances` in turn. `counts`: forwarded (by instance
    name), "502" and "503" answers."""

    def __init__(self, name: str, instances: list[Instance], *, timeout: float = 600.0,
                 log_path: Path | None = None) -> None:
        """`log_path`: one line per request (when it came, the instance chosen, the answer, how long it took), so
        a post-mortem can tell an instance that got no work from one that sat on it."""
        self.name = name
        self._log = log_path.open("a", buffering=1) if log_path is not None else None
        self.instances = list(instances)
        self.timeout = timeout  # the subscription's ack deadline: a request is never cut short before it
        self.counts: Counter[str] = Counter()
        self._busy: Counter[str] = Counter()  # requests in flight, by instance
        self._turn = itertools.count()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)  # an instance's request ended
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=f"proxy-{name}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/"

    def start(self) -> RoundRobinProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Idempotent."""
        if self._thread.is_alive():
            self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            if self._log is not None:
                self._log.close()

    def choose(self) -> Instance | None:
        """The next instance in turn that is up and idle, waiting for one while every instance that is up is
        busy; None when all are down. A request waits for the first instance to free up (or to come up), as the
        platform holds it for a one-request-at-a-time function: bound at arrival to a busy instance, requests
        that came while the other instance was being replaced stayed queued behind one long sync while the new
        instance sat idle (seed 3: 50 s)."""
        with self._idle:
            while True:
                first = next(self._turn)
                order = [self.instances[(first + step) % len(self.instances)] for step in range(len(self.instances))]
                up = [instance for instance in order if instance.is_up()]
                if not up:
                    return None
                chosen = next((i for i in up if not self._busy[i.name]), None)
                if chosen is not None:
                    self._busy[chosen.name] += 1
                    return chosen
                self._idle.wait(POLL_S)  # a request ending notifies; an instance coming up is polled

    def forward(self, method: str, path: str, headers: dict[str, str],
                body: bytes) -> tuple[int, dict[str, str], bytes]:
        came, began = datetime.now(UTC), time.monotonic()
        instance = self.choose()
        status, headers_out, data = self._forward_to(instance, method, path, headers, body)
        line = (f"{came.strftime('%H:%M:%S.%f')[:-3]} {instance.name if instance else '-'} {status} "
                f"{time.monotonic() - began:.2f}s\n")
        with self._lock:
            if self._log is not None and not self._log.closed:  # a request that outlived stop() goes unlogged
                self._log.write(line)
        return status, headers_out, data

    def _forward_to(self, instance: Instance | None, method: str, path: str, headers: dict[str, str],
                    body: bytes) -> tuple[int, dict[str, str], bytes]:
        if instance is None:
            return self._answer("503", 503, b"no instance is up")
        connection = http.client.HTTPConnection("127.0.0.1", instance.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, cut off: the instance died
            return self._answer("502", 502, f"instance {instance.name} failed: {exc}".encode())
        finally:
            connection.close()
            with self._idle:
                self._busy[instance.name] -= 1
                self._idle.notify()
        with self._lock:
            self.counts[instance.name] += 1
        kept = {k: v for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP}
        return response.status, kept, data

    def _answer(self, count: str, status: int, body: bytes) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.counts[count] += 1
        return status, {"Content-Type": "text/plain"}, body


def _handler_for(proxy: RoundRobinProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _relay(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            status, out_headers, data = proxy.forward(self.command, self.path, headers, body)
            try:
                self.send_response(status)
                for key, value in out_headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the pusher went away (a restarted Pub/Sub emulator): it delivers again, or lost it

        do_GET = do_POST = _relay

        def log_message(self, format: str, *args: object) -> None:
            pass  # one line per delivery would drown the harness's output

    return Handler
