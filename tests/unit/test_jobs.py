"""The job runners: threads on one machine (waitable by name), inline in a function."""

from __future__ import annotations

import threading

from gmail_tickets.adapters.inline_jobs import InlineJobs
from gmail_tickets.adapters.thread_jobs import ThreadJobs


def test_inline_jobs_run_before_submit_returns() -> None:
    ran: list[str] = []
    jobs = InlineJobs()
    jobs.submit("import:a@example.com", lambda: ran.append("a"))
    assert ran == ["a"]
    assert jobs.wait("import:a@example.com", 0) is True


def test_thread_jobs_run_on_a_named_thread_and_can_be_waited_for() -> None:
    release = threading.Event()
    seen: list[str] = []

    def job() -> None:
        release.wait(5)
        seen.append(threading.current_thread().name)

    jobs = ThreadJobs()
    jobs.submit("import:a@example.com", job)
    assert jobs.wait("import:a@example.com", 0.05) is False  # still blocked
    release.set()
    assert jobs.wait("import:a@example.com", 5) is True
    assert seen == ["import:a@example.com"]


def test_thread_jobs_wait_for_the_latest_job_of_a_name_and_know_no_other() -> None:
    first_done, release_second = threading.Event(), threading.Event()
    jobs = ThreadJobs()
    jobs.submit("n", first_done.set)
    assert jobs.wait("n", 5)
    jobs.submit("n", lambda: release_second.wait(5))
    assert jobs.wait("n", 0.05) is False  # the second one, not the finished first
    release_second.set()
    assert jobs.wait("n", 5) is True
    assert jobs.wait("never-submitted", 0) is True
