"""Carries out the fault schedule against the world and the product: one thread per lane, each event at its time.

What each kind does:
- kill: SIGKILL one of the flavour's killable processes (the flavour restarts it);
- gmail_5xx / gmail_429: every Gmail API call (any method, any mailbox) fails with that status for `for_s` seconds
  (a burst in time, not in calls: a count of failing calls would last as long as the product's own backoff);
- latency: every Gmail call takes `ms` longer for `for_s` seconds;
- push_delay / push_drop: Gmail's notifications come `delay_s` late, or half of them never, for `for_s` seconds
  (not applicable to the embedded flavour: it has no push, its sweep is the path);
- broker_restart: the flavour restarts its message broker (the Pub/Sub emulator), if it has one;
- send_limit: every simulated account's own daily sending limit drops to 1, so Gmail refuses further sends as
  over the limit and the product moves its acknowledgements to the relay;
- relay_down: the relay stops listening for 20 s (real time);
- relay_outage_5m / _2h: the relay stops, the shared clock moves on in steps (a sweep after each, a pause for the
  sends it starts to fail), the relay comes back and the clock moves past the backoff ceiling, so the sweep
  publishes every retrying record again.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

from devstack.chaos import schedule as s
from devstack.chaos.schedule import FaultEvent
from devstack.chaos.stack import Kill, ProductStack, World
from devstack.chaos.world import LATENCY_MS, SharedClock

EVERY_CALL = 1 << 30
STEP_PAUSE_S = 2.5  # real seconds after each clock step: more than one embedded sweep interval


class FaultRunner:
    def __init__(self, world: World, clock: SharedClock, product: ProductStack, events: list[FaultEvent], *,
                 on_kill: Callable[[Kill], None] = lambda kill: None,
                 log: Callable[[str], None] = lambda line: None) -> None:
        self.world, self.clock, self.product, self.events = world, clock, product, events
        self._on_kill, self._log = on_kill, log
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.injected: Counter[str] = Counter()
        self.kills: list[Kill] = []
        self.not_applicable: Counter[str] = Counter()
        self.errors: list[str] = []
        self._threads: list[threading.Thread] = []

    def start(self) -> FaultRunner:
        started = time.monotonic()
        for lane, events in s.by_lane(self.events).items():
            thread = threading.Thread(target=self._run_lane, args=(events, started), name=f"faults-{lane}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def join(self) -> None:
        for thread in self._threads:
            thread.join()

    def stop(self) -> None:
        self._stop.set()
        self.join()

    def _run_lane(self, events: list[FaultEvent], started: float) -> None:
        for event in events:
            if self._stop.wait(max(0.0, started + event.at - time.monotonic())):
                return
            try:
                applied = self.apply(event)
            except Exception as exc:  # a fault that could not be injected is reported, never fatal to the soak
                with self._lock:
                    self.errors.append(f"{event.kind} at {event.at:.0f} s: {exc!r}")
                continue
            with self._lock:
                (self.injected if applied else self.not_applicable)[event.kind] += 1

    def apply(self, event: FaultEvent) -> bool:
        """Inject one fault; False when it does not apply to this flavour (no broker, nothing to kill)."""
        sim, relay, p = self.world.sim, self.world.relay, event.params
        if event.kind == s.KILL:
            return self._kill(p["pick"])
        if event.kind in (s.GMAIL_5XX, s.GMAIL_429):
            sim.inject_faults(p["status"], count=EVERY_CALL)
            self._stop.wait(p["for_s"])
            sim.clear_faults()
        elif event.kind == s.LATENCY:
            sim.set_latency(default_ms=LATENCY_MS + p["ms"])
            self._stop.wait(p["for_s"])
            sim.set_latency(default_ms=LATENCY_MS)
        elif event.kind in (s.PUSH_DELAY, s.PUSH_DROP) and self.product.flavour == "embedded":
            return False  # no watch on one machine: nothing is pushed, the sweep is the path
        elif event.kind == s.PUSH_DELAY:
            self._for_a_while(p["for_s"], delay_s=p["delay_s"], undo={"delay_s": 0.0})
        elif event.kind == s.PUSH_DROP:
            self._for_a_while(p["for_s"], drop_rate=p["drop_rate"], undo={"drop_rate": 0.0})
        elif event.kind == s.BROKER_RESTART:
            return self.product.restart_broker()
        elif event.kind == s.SEND_LIMIT:
            for address in self.world.mailboxes:
                sim.set_send_limit(address, 1)
        elif event.kind == s.RELAY_DOWN:
            relay.stop()
            self._log(f"relay down for {p['for_s']:.0f} s")
            self._stop.wait(p["for_s"])
            relay.start()
        elif event.kind in (s.RELAY_OUTAGE_5M, s.RELAY_OUTAGE_2H):
            self._clock_outage(p["step_s"], p["steps"], p["then_s"])
        else:
            raise ValueError(f"unknown fault: {event.kind}")
        return True

    def _kill(self, pick: float) -> bool:
        deadline = time.monotonic() + 5
        while not (names := self.product.killable()):
            if time.monotonic() > deadline or self._stop.wait(0.2):
                return False
        kill = self.product.kill(names[int(pick * len(names)) % len(names)])
        with self._lock:
            self.kills.append(kill)
        self._on_kill(kill)
        return True

    def _for_a_while(self, seconds: float, *, undo: dict[str, float], **settings: float) -> None:
        self.world.sim.configure_push(**settings)
        self._stop.wait(seconds)
        self.world.sim.configure_push(**undo)

    def _clock_outage(self, step_s: float, steps: int, then_s: float) -> None:
        relay = self.world.relay
        relay.stop()
        self._log(f"relay down for {step_s * steps / 60:.0f} min of clock time")
        try:
            for _ in range(steps):
                self.clock.advance(step_s)
                self.product.sweep_now()
                time.sleep(STEP_PAUSE_S)
        finally:
            relay.start()
        self.clock.advance(then_s)
        self.product.sweep_now()
        self._log("relay back; clock moved past the backoff ceiling")
