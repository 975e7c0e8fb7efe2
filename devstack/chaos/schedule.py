"""The soak's fault schedule: which fault, when, from a seed, scaled to the run's length.

Pure (no clocks, no I/O), so the same seed gives the same schedule and a unit test can check that a bounded run
still holds one fault of every kind. Each event names a lane; the harness runs one thread per lane, in order, so
events of one lane never overlap (the relay is never stopped by one outage while another is bringing it back).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

KILL = "kill"
GMAIL_5XX = "gmail_5xx"
GMAIL_429 = "gmail_429"
LATENCY = "latency"
PUSH_DELAY = "push_delay"
PUSH_DROP = "push_drop"
BROKER_RESTART = "broker_restart"
SEND_LIMIT = "send_limit"
RELAY_DOWN = "relay_down"  # in real time, 20 s
RELAY_OUTAGE_5M = "relay_outage_5m"  # made by advancing the clock
RELAY_OUTAGE_2H = "relay_outage_2h"
KINDS = (KILL, GMAIL_5XX, GMAIL_429, LATENCY, PUSH_DELAY, PUSH_DROP, BROKER_RESTART, SEND_LIMIT, RELAY_DOWN,
         RELAY_OUTAGE_5M, RELAY_OUTAGE_2H)

LANES = {KILL: "kill", GMAIL_5XX: "gmail", GMAIL_429: "gmail", LATENCY: "latency", PUSH_DELAY: "push",
         PUSH_DROP: "push", BROKER_RESTART: "broker", SEND_LIMIT: "relay", RELAY_DOWN: "relay",
         RELAY_OUTAGE_5M: "relay", RELAY_OUTAGE_2H: "relay"}

FULL_RUN_S = 210.0  # the soak: 17 whole-process kills in 210 s
KILL_EVERY_S = FULL_RUN_S / 17
RELAY_DOWN_S = 20.0
# Clock-advanced outages: (clock seconds per step, steps). The steps let retries come due and fail while the relay is
# down; after it the clock moves past the backoff ceiling (15 min) so the sweep brings every retrying record back.
OUTAGE_STEPS = {RELAY_OUTAGE_5M: (60.0, 5), RELAY_OUTAGE_2H: (900.0, 8)}
PAST_BACKOFF_S = 1000.0


@dataclass(frozen=True)
class FaultEvent:
    at: float  # seconds after the faults start
    kind: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def lane(self) -> str:
        return LANES[self.kind]

    def to_json(self) -> dict[str, Any]:
        return {"at": round(self.at, 2), "kind": self.kind, **self.params}


def make_schedule(seconds: float, seed: int = 1) -> list[FaultEvent]:
    """Every kind at least once, kills and Gmail bursts in proportion to `seconds`, sorted by time.

    The send limit is crossed early (at 10%) so that the relay carries the acknowledgements when the relay faults
    come: the 20 s outage at 30%, the 5-minute one at 50%, the 2-hour one at 70%. Kills are spread from 5% to 90%
    with jitter; nothing starts after 90% so that the last fault has ended when `seconds` is up."""
    if seconds <= 0:
        raise ValueError("the faults need a positive duration")
    rng = random.Random(seed)
    events: list[FaultEvent] = []

    def at(fraction: float, jitter: float = 0.0) -> float:
        return max(0.0, min(0.9, fraction + rng.uniform(-jitter, jitter))) * seconds

    kills = max(3, round(seconds / KILL_EVERY_S))
    for n in range(kills):
        events.append(FaultEvent(at(0.05 + 0.85 * (n + 0.5) / kills, 0.3 / kills), KILL, {"pick": rng.random()}))
    bursts = max(2, round(seconds / 30))
    for n in range(bursts):
        events.append(FaultEvent(at(0.05 + 0.85 * (n + 0.25) / bursts, 0.1 / bursts), GMAIL_5XX,
                                 {"status": rng.choice((500, 503)), "for_s": round(rng.uniform(2, 5), 1)}))
        events.append(FaultEvent(at(0.05 + 0.85 * (n + 0.75) / bursts, 0.1 / bursts), GMAIL_429,
                                 {"status": 429, "for_s": round(rng.uniform(2, 5), 1)}))
    for n in range(max(1, round(seconds / 60))):
        events.append(FaultEvent(at(0.1 + 0.8 * n / max(1, round(seconds / 60)), 0.05), LATENCY,
                                 {"ms": rng.choice((300, 800, 1500)), "for_s": min(10.0, 0.1 * seconds)}))
    events.append(FaultEvent(at(0.2, 0.05), PUSH_DELAY, {"delay_s": 5.0, "for_s": 0.15 * seconds}))
    events.append(FaultEvent(at(0.6, 0.05), PUSH_DROP, {"drop_rate": 0.5, "for_s": 0.15 * seconds}))
    events.append(FaultEvent(at(0.4, 0.05), BROKER_RESTART))
    events.append(FaultEvent(at(0.1), SEND_LIMIT))
    events.append(FaultEvent(at(0.3), RELAY_DOWN, {"for_s": RELAY_DOWN_S}))
    for kind, fraction in ((RELAY_OUTAGE_5M, 0.5), (RELAY_OUTAGE_2H, 0.7)):
        step, steps = OUTAGE_STEPS[kind]
        events.append(FaultEvent(at(fraction), kind, {"step_s": step, "steps": steps, "then_s": PAST_BACKOFF_S}))
    return sorted(events, key=lambda e: (e.at, e.kind))


def by_lane(events: list[FaultEvent]) -> dict[str, list[FaultEvent]]:
    lanes: dict[str, list[FaultEvent]] = {}
    for event in events:
        lanes.setdefault(event.lane, []).append(event)
    return lanes
