"""The offset clock: wall time plus the seconds in a file that another process moves forward (the chaos soak)."""

from datetime import UTC, datetime
from pathlib import Path

from gmail_tickets import bootstrap
from gmail_tickets.adapters.offset_clock import OffsetClock, write_offset
from gmail_tickets.adapters.system_clock import SystemClock
from gmail_tickets.config import Config


def ahead(clock: OffsetClock) -> float:
    return (clock.now() - datetime.now(UTC)).total_seconds()


def test_a_missing_file_is_wall_time(tmp_path: Path) -> None:
    assert abs(ahead(OffsetClock(tmp_path / "none"))) < 1


def test_each_write_is_seen_by_a_clock_already_running(tmp_path: Path) -> None:
    path = tmp_path / "offset"
    clock = OffsetClock(path)
    assert abs(ahead(clock)) < 1
    write_offset(path, 300)
    assert 299 < ahead(clock) < 301
    for seconds in (7200.5, 7201.5, 7202.5):  # quick writes of the same size: each one is a new file
        write_offset(path, seconds)
        assert clock.offset() == seconds


def test_a_garbled_file_keeps_the_last_offset(tmp_path: Path) -> None:
    path = tmp_path / "offset"
    clock = OffsetClock(path)
    write_offset(path, 60)
    assert clock.offset() == 60
    path.write_text("not a number")
    assert clock.offset() == 60


def test_bootstrap_wires_it_only_when_the_setting_is_set(tmp_path: Path) -> None:
    path = tmp_path / "offset"
    assert isinstance(bootstrap.build_clock(Config()), SystemClock)
    clock = bootstrap.build_clock(Config.from_env({"GT_CLOCK_OFFSET_FILE": str(path)}))
    assert isinstance(clock, OffsetClock)
    write_offset(path, 3600)
    assert 3599 < ahead(clock) < 3601
